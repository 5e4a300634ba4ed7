"""ADA-MCU's segmentation loss terms (paper Eq. 4-6): masked cross-entropy
and the soft pseudo-label entropy (``mmseg_ada.models.losses``)."""

import pytest
import torch
import torch.nn.functional as F

from mmseg_ada.models.losses import masked_cross_entropy, masked_entropy


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
