"""SDM's losses: Eq. 1 (margin loss) and Eq. 7 (SDM-A) values against
direct loops and gradients against closed forms."""
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
    loss2 = SDMLoss(normalize=False, ce_weight=0, margin=0.5)
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
    """normalize + class mean = torch's multi_margin_loss on z / ||z||."""
    loss = SDMLoss(ce_weight=0)
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
    SDMLoss(max_logit_weight=1.0)(z, _y()).backward()
    expect = train_loss_logit_grad(np.array(Z), np.array(Y)) / len(Z)
    np.testing.assert_allclose(z.grad.numpy(), expect, atol=1e-10)


def test_normalised_sdm_a_against_loop_on_unit_logits():
    loss = SDMLoss(modulation=True, max_logit_weight=1.0, ce_weight=0.5)
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
