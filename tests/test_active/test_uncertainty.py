"""ADA-MCU's pixel uncertainty (paper Eq. 1-3): normalised entropy, the
main/auxiliary KL term and their sum (``mmseg_ada.active.uncertainty``)."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmseg_ada.active.uncertainty import (kl_main_aux, mcu_uncertainty,
                                          normalized_entropy)


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
