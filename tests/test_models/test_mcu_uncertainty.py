"""ADA-MCU uncertainty (Eq. 1-3) and segmentation loss terms (Eq. 4-6)."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmseg_ada.active.uncertainty import (kl_main_aux, mcu_uncertainty,
                                          normalized_entropy)
from mmseg_ada.models.losses import masked_cross_entropy, masked_entropy


def _logits(probs):
    """[B, C, H, W] logits whose softmax is ``probs`` (given per pixel)."""
    return torch.tensor(probs, dtype=torch.float64).log()


def test_eq2_normalized_entropy_hand_values():
    # 1 x 4 classes x 1 x 3 pixels: uniform, peaked, two-way split
    p = [[[[0.25, 0.97, 0.5]], [[0.25, 0.01, 0.5]], [[0.25, 0.01, 1e-12]],
          [[0.25, 0.01, 1e-12]]]]
    e = normalized_entropy(_logits(p))[0, 0]
    peaked = -(0.97 * math.log(0.97) + 3 * 0.01 * math.log(0.01))
    split = math.log(2)  # the 1e-12 terms add ~6e-11
    assert e[0].item() == pytest.approx(1.0, abs=1e-12)
    assert e[1].item() == pytest.approx(peaked / math.log(4), abs=1e-12)
    assert e[2].item() == pytest.approx(split / math.log(4), abs=1e-9)


def test_eq3_kl_main_aux_hand_values_and_direction():
    p = [[[[0.5]], [[0.5]]]]
    q = [[[[0.9]], [[0.1]]]]
    kl_pq = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    kl_qp = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)
    assert kl_main_aux(_logits(p), _logits(q)).item() == pytest.approx(
        kl_pq, abs=1e-12)
    # KL(main || aux), not the reverse
    assert kl_main_aux(_logits(q), _logits(p)).item() == pytest.approx(
        kl_qp, abs=1e-12)
    assert kl_main_aux(_logits(p), _logits(p)).item() == pytest.approx(0.)


def test_eq3_against_torch_kl_div():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(2, 5, 3, 4, generator=g, dtype=torch.float64)
    b = torch.randn(2, 5, 3, 4, generator=g, dtype=torch.float64)
    ref = F.kl_div(
        F.log_softmax(b, 1),
        F.log_softmax(a, 1),
        reduction='none',
        log_target=True).sum(1)
    torch.testing.assert_close(kl_main_aux(a, b), ref)


def test_eq1_score_gamma_and_aux_resize():
    p = [[[[0.5]], [[0.5]]]]
    q = [[[[0.9]], [[0.1]]]]
    kl = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    main = _logits(p).expand(1, 2, 4, 6)
    aux = _logits(q).expand(1, 2, 2, 3)  # half resolution, constant
    out = mcu_uncertainty(main, aux, gamma=0.5)
    assert out['score'].shape == (1, 4, 6)
    torch.testing.assert_close(
        out['score'], torch.full((1, 4, 6), 1 + 0.5 * kl, dtype=torch.float64))
    torch.testing.assert_close(out['entropy'],
                               torch.ones(1, 4, 6, dtype=torch.float64))
    # gamma scales only the KL part
    out2 = mcu_uncertainty(main, aux, gamma=2.0)
    torch.testing.assert_close(out2['score'] - out['score'],
                               torch.full_like(out['score'], 1.5 * kl))


def test_eq1_aux_is_resized_bilinearly():
    g = torch.Generator().manual_seed(1)
    main = torch.randn(1, 3, 8, 8, generator=g)
    aux = torch.randn(1, 3, 4, 4, generator=g)
    up = F.interpolate(aux, size=(8, 8), mode='bilinear', align_corners=False)
    out = mcu_uncertainty(main, aux, gamma=0.5)
    ref = normalized_entropy(main) + 0.5 * kl_main_aux(main, up)
    torch.testing.assert_close(out['score'], ref)


@pytest.mark.parametrize('gamma', [0., 0.5])
def test_eq1_fused_score_equals_parts(gamma):
    g = torch.Generator().manual_seed(4)
    main = torch.randn(2, 6, 8, 8, generator=g, dtype=torch.float64)
    aux = torch.randn(2, 6, 4, 4, generator=g, dtype=torch.float64)
    full = mcu_uncertainty(main, aux, gamma)
    fused = mcu_uncertainty(main, aux, gamma, score_only=True)
    assert set(fused) == {'score'}
    torch.testing.assert_close(fused['score'], full['score'])


def test_eq1_errors():
    x = torch.zeros(1, 3, 2, 2)
    with pytest.raises(ValueError, match='auxiliary'):
        mcu_uncertainty(x, None, gamma=0.5)
    assert mcu_uncertainty(x, None, gamma=0.)['kl'].abs().sum() == 0
    with pytest.raises(ValueError, match='gamma'):
        mcu_uncertainty(x, x, gamma=-1)
    with pytest.raises(ValueError, match='classes'):
        mcu_uncertainty(x, torch.zeros(1, 4, 2, 2))


def test_eq4_to_6_masked_cross_entropy_mean_and_sum():
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(2, 4, 3, 3, generator=g, dtype=torch.float64)
    labels = torch.full((2, 3, 3), 255, dtype=torch.long)
    labels[0, 0, 0], labels[1, 2, 1], labels[1, 0, 2] = 1, 3, 0
    terms = []
    for b, y, x in [(0, 0, 0), (1, 2, 1), (1, 0, 2)]:
        logp = torch.log_softmax(logits[b, :, y, x], 0)
        terms.append(-logp[labels[b, y, x]].item())
    assert masked_cross_entropy(logits, labels).item() == pytest.approx(
        sum(terms) / 3)
    assert masked_cross_entropy(
        logits, labels, reduction='sum').item() == pytest.approx(sum(terms))
    # nothing labelled: an exact zero that still has a graph
    empty = torch.full_like(labels, 255)
    logits.requires_grad_(True)
    z = masked_cross_entropy(logits, empty)
    assert z.item() == 0 and z.requires_grad
    with pytest.raises(ValueError, match='reduction'):
        masked_cross_entropy(logits, labels, reduction='none')


def test_shared_log_softmax_gives_the_same_terms_and_gradients():
    """The segmentor normalises the target logits once for the bought and
    the pseudo-label term (hard or soft; ``log_probs=True``): the same
    values and the same gradients, to the bit, as one ``cross_entropy`` per
    term (the two terms cover disjoint pixels)."""
    g = torch.Generator().manual_seed(4)
    x = torch.randn(2, 5, 4, 4, generator=g)
    bought = torch.full((2, 4, 4), 255, dtype=torch.long)
    bought[0, 1, 2], bought[1, 3, 0] = 2, 4
    pseudo = torch.randint(0, 5, (2, 4, 4), generator=g)
    pseudo[bought != 255] = 255
    pseudo[0, 0] = 255  # some pixels in neither term
    soft = pseudo != 255

    def terms(logits, red, hard, log_probs):
        kw = dict(log_probs=log_probs) if log_probs else {}
        second = masked_cross_entropy(
            logits, pseudo, reduction=red, **kw) if hard else masked_entropy(
                logits, soft, red, **kw)
        return masked_cross_entropy(
            logits, bought, reduction=red, **kw) + second

    for red in ('mean', 'sum'):
        for hard in (True, False):
            a = x.clone().requires_grad_(True)
            ref = terms(a, red, hard, False)
            ref.backward()
            b = x.clone().requires_grad_(True)
            new = terms(F.log_softmax(b, dim=1), red, hard, True)
            new.backward()
            assert torch.equal(ref, new), (red, hard)
            assert torch.equal(a.grad, b.grad), (red, hard)


def test_eq5_soft_pseudo_label_is_entropy():
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(1, 3, 2, 2, generator=g, dtype=torch.float64)
    mask = torch.tensor([[[True, False], [False, True]]])
    p = logits.softmax(1)
    ent = -(p * p.log()).sum(1)[mask]
    assert masked_entropy(logits,
                          mask).item() == pytest.approx(ent.mean().item())
    assert masked_entropy(logits, mask,
                          'sum').item() == pytest.approx(ent.sum().item())
