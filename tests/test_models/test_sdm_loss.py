"""SDM's losses: Eq. 1 (margin loss) and Eq. 7 (SDM-A) values against
direct loops and gradients against closed forms."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmseg_ada.active.functional.sdm import (margin_loss_logit_grad,
                                             train_loss_logit_grad)
from mmseg_ada.models.losses import SDMLoss
from tests.test_models.cls_utils import batch, build, tiny_cfg

pytestmark = pytest.mark.usefixtures('one_thread')

Z = [[0.9, 0.5, -0.3, 0.2], [-0.1, 0.4, 0.35, 1.2], [0.3, 0.3, 0.3, -2.0]]
Y = [0, 3, 1]


def _z(requires_grad=True):
    return torch.tensor(Z, dtype=torch.float64, requires_grad=requires_grad)


def _y():
    return torch.tensor(Y)


def _loop_margin(z, y, m=1.0, modulation=False, max_logit=0.0, reduce_c=False):
    """Eq. 1 / Eq. 7 by a direct loop (no normalisation)."""
    total = 0.0
    for row, yy in zip(z, y):
        s = 0.0
        for i, zi in enumerate(row):
            if i == yy:
                continue
            h = max(0.0, m - row[yy] + zi)
            alpha = 1.0 - (row[yy] - zi) / m if modulation else 1.0
            s += alpha * h
        if reduce_c:
            s /= len(row)
        total += s - max_logit * row[yy]
    return total / len(z)


def test_margin_loss_eq1_value_against_loop():
    loss = SDMLoss(normalize=False, ce_weight=0, class_reduction='sum')
    assert loss(_z(), _y()).item() == pytest.approx(
        _loop_margin(Z, Y), rel=1e-12)
    loss2 = SDMLoss(
        normalize=False, ce_weight=0, margin=0.5, class_reduction='mean')
    assert loss2(_z(), _y()).item() == pytest.approx(
        _loop_margin(Z, Y, m=0.5, reduce_c=True), rel=1e-12)


def test_margin_loss_eq1_gradient_closed_form():
    """dL/dz_i = 1[m - z_y + z_i > 0] (i != y), dL/dz_y = -sum of those."""
    z = _z()
    SDMLoss(
        normalize=False, ce_weight=0, class_reduction='sum')(z,
                                                             _y()).backward()
    expect = margin_loss_logit_grad(np.array(Z), np.array(Y)) / len(Z)
    np.testing.assert_allclose(z.grad.numpy(), expect, atol=1e-12)
    # row 2: z_y - z_i = 0 for two classes, 2.3 for the last: 2 active
    assert z.grad[2].tolist() == pytest.approx([1 / 3, -2 / 3, 1 / 3, 0])


def test_code_margin_equals_multi_margin_on_normalised_logits():
    """The released form = torch's multi_margin_loss on z / ||z||."""
    loss = SDMLoss(form='released', ce_weight=0)
    ref = F.multi_margin_loss(
        F.normalize(_z(False), dim=1), _y(), p=1, margin=1.0)
    torch.testing.assert_close(loss(_z(), _y()), ref)


def test_sdm_a_eq7_value_and_gradient():
    """Eq. 7: sum_{i != y} alpha_i [m - z_y + z_i]_+ - z_y, alpha_i = 1 -
    (z_y - z_i) / m; detached alpha: gradient alpha_i on active terms."""
    loss = SDMLoss(
        normalize=False,
        ce_weight=0,
        class_reduction='sum',
        modulation=True,
        max_logit_weight=1.0)
    z = _z()
    value = loss(z, _y())
    assert value.item() == pytest.approx(
        _loop_margin(Z, Y, modulation=True, max_logit=1.0), rel=1e-12)
    value.backward()
    expect = np.zeros((3, 4))
    for n, (row, y) in enumerate(zip(Z, Y)):
        for i, zi in enumerate(row):
            arg = 1.0 - row[y] + zi
            if i != y and arg > 0:
                expect[n, i] += arg
                expect[n, y] -= arg
        expect[n, y] -= 1.0  # max-logit term
    np.testing.assert_allclose(z.grad.numpy(), expect / 3, atol=1e-12)
    # alpha differentiated: twice the hinge gradient (squared hinge / m)
    z2 = _z()
    SDMLoss(
        normalize=False,
        ce_weight=0,
        class_reduction='sum',
        modulation=True,
        detach_alpha=False)(z2, _y()).backward()
    z3 = _z()
    SDMLoss(
        normalize=False, ce_weight=0, class_reduction='sum',
        modulation=True)(z3, _y()).backward()
    torch.testing.assert_close(z2.grad, 2 * z3.grad)


def test_sdm_a_differs_from_margin_loss_when_margins_differ():
    """Eq. 7 weighs in-margin classes by their margin: two classes with
    margins 0.2 and 0.6 get gradients 0.8 : 0.4 (Eq. 1: 1 : 1)."""
    z = torch.tensor([[1.0, 0.8, 0.4, -5.0]], dtype=torch.float64)
    y = torch.tensor([0])
    grads = {}
    for name, kw in dict(sdm={}, sdm_a=dict(modulation=True)).items():
        zz = z.clone().requires_grad_(True)
        SDMLoss(
            normalize=False, ce_weight=0, class_reduction='sum',
            **kw)(zz, y).backward()
        grads[name] = zz.grad[0]
    assert grads['sdm'][1:3].tolist() == pytest.approx([1.0, 1.0])
    assert grads['sdm_a'][1:3].tolist() == pytest.approx([0.8, 0.4])
    # not proportional: SDM-A is not a rescaled Eq. 1
    ratio = grads['sdm_a'][1:3] / grads['sdm'][1:3]
    assert ratio[0] != pytest.approx(ratio[1].item())
    # equal margins: same direction (alpha constant over active terms)
    z_eq = torch.tensor([[1.0, 0.7, 0.7, -5.0]], dtype=torch.float64)
    g = []
    for kw in ({}, dict(modulation=True)):
        zz = z_eq.clone().requires_grad_(True)
        SDMLoss(
            normalize=False, ce_weight=0, class_reduction='sum',
            **kw)(zz, y).backward()
        g.append(zz.grad[0])
    torch.testing.assert_close(g[1], 0.7 * g[0])
    # and the loss values differ whenever a hinge is active
    a = SDMLoss(normalize=False, ce_weight=0)(z, y)
    b = SDMLoss(normalize=False, ce_weight=0, modulation=True)(z, y)
    assert a.item() != pytest.approx(b.item())


def test_released_code_loss_gradient_matches_closed_form():
    """CE + normalised hinge / C - normalised z_y (the code's SDM-A, alpha
    discarded) against functional.sdm.train_loss_logit_grad."""
    z = _z()
    SDMLoss(form='released', max_logit_weight=1.0)(z, _y()).backward()
    # modulation has no effect in the released form (alpha is discarded)
    z2 = _z()
    SDMLoss(
        form='released', modulation=True,
        max_logit_weight=1.0)(z2, _y()).backward()
    torch.testing.assert_close(z2.grad, z.grad)
    expect = train_loss_logit_grad(np.array(Z), np.array(Y)) / len(Z)
    np.testing.assert_allclose(z.grad.numpy(), expect, atol=1e-10)


def test_normalised_sdm_a_against_loop_on_unit_logits():
    loss = SDMLoss(
        modulation=True,
        max_logit_weight=1.0,
        ce_weight=0.5,
        normalize=True,
        class_reduction='mean')
    z = _z(False)
    zn = F.normalize(z, dim=1).tolist()
    expect = (
        _loop_margin(zn, Y, modulation=True, max_logit=1.0, reduce_c=True) +
        0.5 * F.cross_entropy(z, _y()).item())
    assert loss(z, _y()).item() == pytest.approx(expect, rel=1e-12)


def test_bad_arguments():
    with pytest.raises(ValueError, match='margin'):
        SDMLoss(margin=0)
    with pytest.raises(ValueError, match='class_reduction'):
        SDMLoss(class_reduction='max')
    with pytest.raises(ValueError, match='form'):
        SDMLoss(form='code')
    with pytest.raises(ValueError, match='weights'):
        SDMLoss()(_z(), _y(), weight=torch.ones(3))


def test_head_loss_in_a_training_step():
    model = build(tiny_cfg(head='BottleneckClsHead'))
    model.head.loss_module = SDMLoss(modulation=True, max_logit_weight=1.0)
    model.train()
    x, s = batch(4, seed=0)
    xt, st = batch(2, seed=1)
    losses = model(x, s, mode='loss', target_inputs=xt, target_data_samples=st)
    assert set(losses) == {'src.loss', 'tgt.loss'}
    (losses['src.loss'] + losses['tgt.loss']).backward()
    assert model.head.fc.weight.grad.abs().sum() > 0


# Issue 17 (1b): both forms against values computed by hand.  m = 1, two
# samples, three classes:
#   z1 = [2.0, 1.5, -1.0], y1 = 0;  z2 = [0.0, 1.0, 0.5], y2 = 2.
HZ = [[2.0, 1.5, -1.0], [0.0, 1.0, 0.5]]
HY = [0, 2]


def _hz():
    return torch.tensor(HZ, dtype=torch.float64, requires_grad=True)


def _ce_by_hand():
    """CE per sample and its logit gradient softmax - onehot."""
    values, grads = [], []
    for row, y in zip(HZ, HY):
        e = [math.exp(v) for v in row]
        s = sum(e)
        values.append(math.log(s) - row[y])
        grads.append(
            [ei / s - (1.0 if i == y else 0.0) for i, ei in enumerate(e)])
    return values, grads


def test_paper_form_eq1_and_eq7_by_hand():
    """form='paper' (the default): raw logits, the plain sum over i != y,
    alpha applied.

    Sample 1 (y = 0): hinges [1 - 2 + 1.5]_+ = 0.5 and [1 - 2 - 1]_+ = 0;
    Eq. 1 = 0.5; alpha_1 = 1 - (2 - 1.5) = 0.5, Eq. 7 = 0.5 * 0.5 - 2 =
    -1.75.  Sample 2 (y = 2): hinges [1 - 0.5 + 0]_+ = 0.5 and
    [1 - 0.5 + 1]_+ = 1.5; Eq. 1 = 2.0; alpha = 0.5 and 1.5, Eq. 7 =
    0.25 + 2.25 - 0.5 = 2.0.  Batch means: Eq. 1 1.25, Eq. 7 0.125.
    """
    y = torch.tensor(HY)
    ce, ce_grad = _ce_by_hand()
    # Eq. 1 alone and Eq. 1 + CE
    z = _hz()
    value = SDMLoss(ce_weight=0)(z, y)
    assert value.item() == pytest.approx(1.25, abs=1e-12)
    value.backward()
    # dL/dz: +1 on each active i != y, minus their count on y; / N = 2
    eq1_grad = [[-1.0, 1.0, 0.0], [1.0, 1.0, -2.0]]
    np.testing.assert_allclose(
        z.grad.numpy(), np.array(eq1_grad) / 2, atol=1e-12)
    z = _hz()
    assert SDMLoss()(z, y).item() == pytest.approx(
        1.25 + (ce[0] + ce[1]) / 2, abs=1e-12)
    # SDM-A (Eq. 7) + CE
    z = _hz()
    value = SDMLoss(modulation=True, max_logit_weight=1.0)(z, y)
    assert value.item() == pytest.approx(
        0.125 + (ce[0] + ce[1]) / 2, abs=1e-12)
    value.backward()
    # detached alpha: alpha_i on each active i != y, minus their sum and 1
    # (the max-logit term) on y
    eq7_grad = [[-1.5, 0.5, 0.0], [0.5, 1.5, -3.0]]
    expect = [[(a + c) / 2 for a, c in zip(r7, rc)]
              for r7, rc in zip(eq7_grad, ce_grad)]
    np.testing.assert_allclose(z.grad.numpy(), np.array(expect), atol=1e-12)


def test_released_form_by_hand():
    """form='released': the hinge and -z_y on z / ||z||, the hinge sum / C,
    alpha dropped (modulation ignored), CE on the raw logits.

    Sample 1: ||z1|| = sqrt(7.25); sample 2: ||z2|| = sqrt(1.25).
    """
    y = torch.tensor(HY)
    ce, _ = _ce_by_hand()
    expect = 0.0
    for row, t in zip(HZ, HY):
        norm = math.sqrt(sum(v * v for v in row))
        zn = [v / norm for v in row]
        hinge = sum(max(0.0, 1.0 - zn[t] + zn[i]) for i in range(3) if i != t)
        expect += hinge / 3 - zn[t]
    expect /= 2
    # sample 1: (1 - 0.74278 + 0.55709) / 3 - 0.74278 = -0.47134;
    # sample 2: (0.55279 + 1.44721) / 3 - 0.44721 = 0.21946
    assert expect == pytest.approx((-0.47134 + 0.21946) / 2, abs=1e-5)
    for modulation in (False, True):
        z = _hz()
        value = SDMLoss(
            form='released', modulation=modulation, max_logit_weight=1.0)(z, y)
        assert value.item() == pytest.approx(
            expect + (ce[0] + ce[1]) / 2, abs=1e-12)
        value.backward()
        np.testing.assert_allclose(
            z.grad.numpy(),
            train_loss_logit_grad(np.array(HZ), np.array(HY)) / 2,
            atol=1e-10)


def test_paper_form_gradient_is_larger_than_the_old_reading():
    """The earlier default (``normalize=True, class_reduction='mean'``,
    alpha applied) against Eq. 7: on the hand case the margin part's
    gradient norm is ``||[-1.5, .5, 0], [.5, 1.5, -3]|| / 2 = 1.871``
    against 0.791 (2.4x); with CE, on a batch of 72 x 65 Gaussian logits of
    scale 0.1 (an untrained head), about 19x; of scale 1, about 74x."""
    y = torch.tensor(HY)
    old = dict(normalize=True, class_reduction='mean')
    grads = {}
    for name, kw in dict(paper={}, old=old).items():
        z = _hz()
        SDMLoss(
            modulation=True, max_logit_weight=1.0, ce_weight=0,
            **kw)(z, y).backward()
        grads[name] = z.grad.norm().item()
    assert grads['paper'] == pytest.approx(
        math.sqrt(1.5**2 + 0.5**2 + 0.5**2 + 1.5**2 + 3.0**2) / 2)
    assert grads['paper'] / grads['old'] == pytest.approx(2.365, abs=1e-3)
    gen = torch.Generator().manual_seed(0)
    y = torch.randint(0, 65, (72, ), generator=gen)
    for scale, low in ((0.1, 15), (1.0, 50)):
        z0 = scale * torch.randn(72, 65, generator=gen, dtype=torch.float64)
        norms = []
        for kw in ({}, old):
            z = z0.clone().requires_grad_(True)
            SDMLoss(
                modulation=True, max_logit_weight=1.0, **kw)(z, y).backward()
            norms.append(z.grad.norm().item())
        assert norms[0] / norms[1] > low, (scale, norms)
