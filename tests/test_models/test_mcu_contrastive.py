"""ADA-MCU contrastive units (Eq. 9-11), DCCM (Eq. 7-8) and anchors."""
import math
from unittest import mock

import pytest
import torch
import torch.nn.functional as F

from mmseg_ada.models.losses import DCCM, MCUContrastiveLoss, weighted_info_nce
from mmseg_ada.models.utils import (anchor_mask, cap_per_class, class_centres,
                                    gather_pixel_features)
from mmseg_ada.models.utils.mcu_adaptive_sampler import HIGH, LOW, MEDIUM
from mmseg_ada.utils.seeding import seeded_generator

IGN = 255


def _loop_info_nce(a, al, s, sl, tau, w=None, exclude=None):
    """Eq. 9-10 by a direct loop (float64, math.exp)."""
    losses, valid = [], []
    for i in range(len(a)):

        def logit(j):
            wij = 1.0 if w is None else (
                float(w[i]) if w.ndim == 1 else float(w[i, j]))
            return wij * float(a[i] @ s[j]) / tau

        ok = [
            j for j in range(len(s))
            if exclude is None or not bool(exclude[i, j])
        ]
        pos = [j for j in ok if sl[j] == al[i]]
        neg = [j for j in ok if sl[j] != al[i]]
        if not pos or not neg:
            losses.append(0.)
            valid.append(False)
            continue
        den_neg = sum(math.exp(logit(n)) for n in neg)
        terms = [
            -math.log(math.exp(logit(p)) / (math.exp(logit(p)) + den_neg))
            for p in pos
        ]
        losses.append(sum(terms) / len(terms))
        valid.append(True)
    return torch.tensor(losses, dtype=torch.float64), torch.tensor(valid)


@pytest.mark.parametrize('weights', [None, 'anchor', 'pair'])
def test_eq9_10_info_nce_against_loop(weights):
    g = torch.Generator().manual_seed(0)
    a = F.normalize(torch.randn(6, 4, generator=g, dtype=torch.float64), 1)
    s = F.normalize(torch.randn(9, 4, generator=g, dtype=torch.float64), 1)
    al = torch.tensor([0, 1, 2, 0, 3, 1])  # class 3: no positive
    sl = torch.tensor([0, 0, 1, 2, 2, 1, 0, 2, 1])
    w = None
    if weights == 'anchor':
        w = torch.rand(6, generator=g, dtype=torch.float64) + 0.2
    elif weights == 'pair':
        w = torch.rand(6, 9, generator=g, dtype=torch.float64) + 0.2
    # ids: anchor 0 is sample 0's pixel, anchor 1 is sample 2's
    a_ids = torch.tensor([10, 11, 12, 13, 14, 15])
    s_ids = torch.tensor([10, 20, 11, 21, 22, 23, 24, 25, 26])
    exclude = a_ids[:, None] == s_ids[None]
    loss, valid = weighted_info_nce(a, al, s, sl, 0.07, w, (a_ids, s_ids))
    ref, ref_valid = _loop_info_nce(a, al, s, sl, 0.07, w, exclude)
    torch.testing.assert_close(loss, ref)
    assert torch.equal(valid, ref_valid) and not valid[4]


@pytest.mark.parametrize('weights', [None, 'anchor', 'pair'])
def test_info_nce_sample_groups_equal_separate_calls(weights):
    """One call over three sample sets == one loop per set."""
    g = torch.Generator().manual_seed(5)
    a = F.normalize(torch.randn(5, 3, generator=g, dtype=torch.float64), 1)
    s = F.normalize(torch.randn(12, 3, generator=g, dtype=torch.float64), 1)
    al = torch.tensor([0, 1, 2, 1, 0])
    sl = torch.tensor([0, 1, 1, 2, 0, 0, 0, 1, 2, 2, 1, 0])
    grp = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    w = None
    if weights == 'anchor':
        w = torch.rand(5, generator=g, dtype=torch.float64) + 0.3
    elif weights == 'pair':
        w = torch.rand(5, 12, generator=g, dtype=torch.float64) + 0.3
    a_ids = torch.tensor([7, 8, 9, 10, 11])
    s_ids = torch.tensor([7, 8, -1, -1, 7, 20, 21, 22, 23, 24, 25, 26])
    loss, valid = weighted_info_nce(
        a, al, s, sl, 0.1, w, (a_ids, s_ids), sample_groups=grp, num_groups=3)
    assert loss.shape == valid.shape == (5, 3)
    for k in range(3):
        m = grp == k
        wk = None if w is None else (w if w.ndim == 1 else w[:, m])
        excl = a_ids[:, None] == s_ids[m][None]
        ref, ref_valid = _loop_info_nce(a, al, s[m], sl[m], 0.1, wk, excl)
        torch.testing.assert_close(loss[:, k], ref)
        assert torch.equal(valid[:, k], ref_valid)
    # set 1 has no class-2 sample: anchor 2 is invalid there only
    assert not valid[2, 1] and valid[2, 0] and valid[2, 2]


def test_eq12_unweighted_equals_weight_one_and_is_stable():
    g = torch.Generator().manual_seed(1)
    a = torch.randn(3, 5, generator=g) * 30  # huge logits: no overflow
    s = torch.randn(7, 5, generator=g) * 30
    al, sl = torch.tensor([0, 1, 1]), torch.tensor([0, 1, 0, 1, 2, 2, 0])
    l1, _ = weighted_info_nce(a, al, s, sl, 0.1)
    l2, _ = weighted_info_nce(a, al, s, sl, 0.1, torch.ones(3))
    assert torch.isfinite(l1).all()
    torch.testing.assert_close(l1, l2)


def test_info_nce_exact_when_a_positive_dwarfs_the_negatives():
    """Logit gaps of hundreds of nats (unnormalised features): the
    negatives' sum must not underflow into a wrong loss."""
    a = torch.tensor([[1., 0.]], dtype=torch.float64)
    s = torch.tensor([[30., 0.], [-5., 0.], [-6., 0.], [-7., 0.]],
                     dtype=torch.float64)
    al, sl = torch.tensor([0]), torch.tensor([0, 0, 1, 1])
    loss, valid = weighted_info_nce(a, al, s, sl, 0.05)
    # positive 1 (logit -100) vs negatives (-120, -140): not ~0
    neg = math.log(math.exp(-120.) + math.exp(-140.))
    want = 0.5 * (
        math.log1p(math.exp(neg - 600.)) +
        (math.log(math.exp(-100.) + math.exp(neg)) + 100.))
    assert valid.item() and loss.item() == pytest.approx(want, rel=1e-12)


def test_gather_pixel_features_equals_resize_then_index():
    g = torch.Generator().manual_seed(2)
    feat = torch.randn(3, 5, 7, generator=g, dtype=torch.float64)
    size = (19, 26)
    idx = torch.randint(0, 19 * 26, (40, ), generator=g)
    idx[:4] = torch.tensor([0, 25, 19 * 26 - 1, 18 * 26])  # corners
    for ac in (False, True):
        up = F.interpolate(
            feat[None], size=size, mode='bilinear', align_corners=ac)[0]
        ref = up.reshape(3, -1)[:, idx].t()
        torch.testing.assert_close(
            gather_pixel_features(feat, idx, size, ac), ref)


def test_class_centres_against_loop():
    g = torch.Generator().manual_seed(3)
    feats = torch.randn(10, 4, generator=g, dtype=torch.float64)
    labels = torch.tensor([2, 0, 2, 2, 0, 4, 4, 0, 2, 4])
    centres, classes = class_centres(feats, labels, 6)
    assert classes.tolist() == [0, 2, 4]
    for c, cen in zip(classes.tolist(), centres):
        torch.testing.assert_close(cen, feats[labels == c].mean(0))


def test_anchor_selection_source_and_target():
    labels = torch.tensor([[0, 1, 2], [IGN, 1, 0]])
    preds = torch.tensor([[0, 2, 2], [1, 0, 0]])
    # source: every labelled pixel is eligible -> the mispredicted ones
    src = anchor_mask(labels, preds, torch.ones_like(labels, dtype=bool))
    assert src.tolist() == [[False, True, False], [False, True, False]]
    # target: only bought high-uncertainty pixels are eligible
    eligible = torch.tensor([[True, False, True], [True, True, True]])
    tgt = anchor_mask(labels, preds, eligible)
    assert tgt.tolist() == [[False, False, False], [False, True, False]]


def test_cap_per_class_bounds_and_seeding():
    g = torch.Generator().manual_seed(4)
    labels = torch.randint(0, 3, (20, 20), generator=g)
    labels[:, :2] = 7  # a rare class (40 px)
    mask = torch.rand(20, 20, generator=g) > 0.3
    idx = cap_per_class(mask, labels, 5, seeded_generator(0, 1, 'a'))
    lab = labels.reshape(-1)[idx]
    for c in labels.unique().tolist():
        n_avail = int((mask & (labels == c)).sum())
        assert int((lab == c).sum()) == min(5, n_avail)
    assert mask.reshape(-1)[idx].all()
    same = cap_per_class(mask, labels, 5, seeded_generator(0, 1, 'a'))
    other = cap_per_class(mask, labels, 5, seeded_generator(0, 2, 'a'))
    assert torch.equal(idx, same) and not torch.equal(idx, other)
    assert torch.equal(
        cap_per_class(mask, labels, -1, None),
        mask.reshape(-1).nonzero().squeeze(1))


def test_cap_per_class_is_uniform_with_and_without_thinning():
    """Every pixel of a class is kept with probability k / n_c."""
    labels = torch.zeros(10, 30, dtype=torch.long)
    labels[:, 20:] = 1  # class 0: 200 px, class 1: 100 px
    labels[0, :3] = 2  # class 2: 3 px (fewer than k)
    mask = torch.ones_like(labels, dtype=torch.bool)
    k, draws = 4, 600
    for oversample in (4., 0.3, 0.):  # thinning, thinning + redraw, none
        freq = torch.zeros(300)
        for d in range(draws):
            idx = cap_per_class(
                mask, labels, k, seeded_generator(d), oversample=oversample)
            lab = labels.reshape(-1)[idx]
            assert [int((lab == c).sum()) for c in range(3)] == [k, k, 3]
            freq[idx] += 1
        flat = labels.reshape(-1)
        for c, n_c in ((0, 197), (1, 100)):
            f = freq[flat == c] / draws
            p = k / n_c
            # per pixel: binomial sd sqrt(p(1-p)/draws); mean over pixels
            assert abs(float(f.mean()) - p) < 1e-9
            assert float((f - p).abs().max()) < 5 * (p * (1 - p) / draws)**.5
        assert (freq[flat == 2] == draws).all()


# ------------------------------------------------------------------ DCCM
def test_eq7_8_dccm_update_on_known_confusion():
    d = DCCM(num_classes=3, beta=0.9)
    # class 0: 4 px (3 right, 1 -> class 2); class 1: 2 px (both -> 0);
    # class 2 absent; one ignored pixel
    labels = torch.tensor([0, 0, 0, 0, 1, 1, IGN])
    preds = torch.tensor([0, 0, 0, 2, 0, 0, 1])
    conf = d.update(labels, preds)
    assert conf.tolist() == [[3, 0, 1], [2, 0, 0], [0, 0, 0]]
    r1 = torch.tensor([[0.75, 0, 0.25], [1, 0, 0], [0, 0, 1]])
    torch.testing.assert_close(d.weight, r1)  # first sight: W = R
    assert d.seen.tolist() == [True, True, False]
    # second batch: class 0 always right, class 2 (first seen) -> 1
    labels2 = torch.tensor([0, 0, 2])
    preds2 = torch.tensor([0, 0, 1])
    d.update(labels2, preds2)
    w = torch.tensor([[0.9 * 0.75 + 0.1, 0, 0.9 * 0.25], [1, 0, 0], [0, 1, 0]])
    torch.testing.assert_close(d.weight, w)  # class 1 row kept
    assert set(d.state_dict()) == {'weight', 'seen'}
    # weights of Eq. 10
    u, v = torch.tensor([0, 1]), torch.tensor([2, 0])
    torch.testing.assert_close(
        d.anchor_weights(u, v), torch.tensor([0.9 * 0.25, 1.0]))
    torch.testing.assert_close(
        d.class_error(torch.tensor([0, 2])), torch.tensor([0.9 * 0.25, 1.0]))
    pw = d.pair_weights(torch.tensor([0]), torch.tensor([0, 1, 2]))
    torch.testing.assert_close(pw, torch.tensor([[1.0, 0.0, 0.9 * 0.25]]))
    d2 = DCCM(3, beta=0.9, offset=1.0)
    d2.load_state_dict(d.state_dict())
    torch.testing.assert_close(
        d2.anchor_weights(u, v),
        d.anchor_weights(u, v) + 1)


# ------------------------------------------------------- contrastive units
C, HH, WW, D = 4, 6, 6, 5


def _view(seed, domain, key):
    g = torch.Generator().manual_seed(seed)
    feat = torch.randn(D, HH, WW, generator=g, dtype=torch.float64)
    label = torch.randint(0, C, (HH, WW), generator=g)
    label[0, 0] = IGN
    pred = torch.where(
        torch.rand(HH, WW, generator=g) < 0.4,
        torch.randint(0, C, (HH, WW), generator=g), label)
    low = torch.rand(HH, WW, generator=g) < 0.5
    groups = torch.where(low, LOW, MEDIUM)
    groups[0, 1] = HIGH
    low = groups == LOW
    return dict(
        feat=feat,
        label=label,
        pred=pred,
        anchor_eligible=label != IGN,
        groups=groups,
        centre_label=label,
        domain=domain,
        key=key,
        low=low,
        uncertain=(label != IGN) & ~low)  # for the loops


def _pix(view):
    """Every pixel's normalised embedding [H*W, D]."""
    return F.normalize(view['feat'].reshape(D, -1).t(), dim=1)


def _big_caps(units):
    return MCUContrastiveLoss(
        C,
        temperature=0.2,
        units=units,
        max_anchors_per_class=10**6,
        max_samples_per_class=10**6)


def _mean_loop(pairs):
    tot, cnt = 0., 0
    for loss, valid in pairs:
        tot += float(loss[valid].sum())
        cnt += int(valid.sum())
    return tot / cnt


@pytest.mark.parametrize('pairing', [None, 'anchor', 'pair'])
def test_p2p_intra_and_cross_image_against_loop(pairing):
    views = [_view(0, 'source', 's0'), _view(1, 'source', 's1')]
    dccm = None
    if pairing:
        dccm = DCCM(C, pairing=pairing)
        dccm.weight.copy_(
            torch.rand(C, C, generator=torch.Generator().manual_seed(9)) + 0.1)
    mod = _big_caps(['intra_p2p', 'cross_image_p2p'])
    out = mod(views, dccm)
    res = {'intra': [], 'cross_image': []}
    for i, v in enumerate(views):
        flat_lab, flat_pred = v['label'].reshape(-1), v['pred'].reshape(-1)
        amask = (flat_lab != IGN) & (flat_pred != flat_lab)
        a, al = _pix(v)[amask], flat_lab[amask]
        ap = flat_pred[amask]
        for level, j in (('intra', i), ('cross_image', 1 - i)):
            q = views[j]
            ql = q['label'].reshape(-1)
            smask = ql != IGN
            s, sl = _pix(q)[smask], ql[smask]
            w = None
            if pairing == 'anchor':
                w = dccm.weight[al, ap]
            elif pairing == 'pair':
                w = dccm.pair_weights(al, sl)
            excl = None
            if level == 'intra':  # an anchor is not its own positive
                excl = amask.nonzero() == smask.nonzero().t()
                assert (al[:, None] == sl[None])[excl].all()
            res[level].append(_loop_info_nce(a, al, s, sl, 0.2, w, excl))
    assert out['loss_con_intra_p2p'].item() == pytest.approx(
        _mean_loop(res['intra']), rel=1e-9)
    assert out['loss_con_cross_image_p2p'].item() == pytest.approx(
        _mean_loop(res['cross_image']), rel=1e-9)
    assert set(out) == {
        'loss_con_intra_p2p', 'loss_con_cross_image_p2p', 'con_anchors'
    }


@pytest.mark.parametrize('pairing', [None, 'anchor'])
def test_eq11_c2c_cross_domain_and_cross_image_against_loop(pairing):
    views = [
        _view(0, 'source', 's0'),
        _view(1, 'source', 's1'),
        _view(2, 'target', 't0'),
        _view(3, 'target', 't1')
    ]
    dccm = None
    if pairing:
        dccm = DCCM(C)
        dccm.weight.copy_(
            torch.rand(C, C, generator=torch.Generator().manual_seed(8)) + 0.1)
    out = _big_caps(['cross_image_c2c', 'cross_domain_c2c'])(views, dccm)

    def centres(vs):
        feats = torch.cat([
            _pix(v)[v['low'].reshape(-1)
                    & (v['centre_label'].reshape(-1) != IGN)] for v in vs
        ])
        labs = torch.cat([
            v['centre_label'].reshape(-1)[
                v['low'].reshape(-1) & (v['centre_label'].reshape(-1) != IGN)]
            for v in vs
        ])
        cs = [(c, F.normalize(feats[labs == c].mean(0), dim=0))
              for c in range(C) if (labs == c).any()]
        return (torch.stack([x for _, x in cs]),
                torch.tensor([c for c, _ in cs]))

    def nce(a, s):
        w = None
        if pairing == 'anchor':
            wm = dccm.weight[a[1]]
            w = wm.sum(1) - wm.gather(1, a[1][:, None])[:, 0]
        return _loop_info_nce(a[0], a[1], s[0], s[1], 0.2, w)

    dom = {'source': centres(views[:2]), 'target': centres(views[2:])}
    ref = _mean_loop(
        [nce(dom['source'], dom['target']),
         nce(dom['target'], dom['source'])])
    assert out['loss_con_cross_domain_c2c'].item() == pytest.approx(
        ref, rel=1e-9)
    img = [centres([v]) for v in views]
    ref = _mean_loop(
        [nce(img[i], img[j]) for i, j in ((0, 1), (1, 0), (2, 3), (3, 2))])
    assert out['loss_con_cross_image_c2c'].item() == pytest.approx(
        ref, rel=1e-9)


def test_intra_c2c_and_cross_domain_p2p_pairing():
    views = [
        _view(0, 'source', 's0'),
        _view(1, 'source', 's1'),
        _view(2, 'target', 't0'),
        _view(3, 'target', 't1')
    ]
    mod = _big_caps(['intra_c2c', 'cross_domain_p2p'])
    out = mod(views)
    # intra c2c: uncertain-labelled centres vs G_l centres, same image
    res = []
    for v in views:
        lab = v['label'].reshape(-1)
        unc = v['uncertain'].reshape(-1) & (lab != IGN)
        low = v['low'].reshape(-1) & (v['centre_label'].reshape(-1) != IGN)
        pix = _pix(v)

        def cen(mask, labs):
            cs = [c for c in range(C) if (labs[mask] == c).any()]
            return (torch.stack([
                F.normalize(pix[mask & (labs == c)].mean(0), dim=0) for c in cs
            ]), torch.tensor(cs))

        a, s = cen(unc, lab), cen(low, v['centre_label'].reshape(-1))
        res.append(_loop_info_nce(a[0], a[1], s[0], s[1], 0.2))
    assert out['loss_con_intra_c2c'].item() == pytest.approx(
        _mean_loop(res), rel=1e-9)
    # cross-domain p2p: s0<->t0, s1<->t1, both directions
    res = []
    for i, j in ((0, 2), (1, 3), (2, 0), (3, 1)):
        v, q = views[i], views[j]
        fl, fp = v['label'].reshape(-1), v['pred'].reshape(-1)
        am = (fl != IGN) & (fp != fl)
        ql = q['label'].reshape(-1)
        sm = ql != IGN
        res.append(
            _loop_info_nce(_pix(v)[am], fl[am],
                           _pix(q)[sm], ql[sm], 0.2))
    assert out['loss_con_cross_domain_p2p'].item() == pytest.approx(
        _mean_loop(res), rel=1e-9)


def test_centres_on_a_coarse_feature_grid():
    """A feature cell reads the label/group of the pixel at its centre."""
    feat = torch.arange(2 * 2 * 3, dtype=torch.float64).reshape(2, 2, 3) + 1
    label = torch.zeros(8, 12, dtype=torch.long)
    low = torch.zeros(8, 12, dtype=torch.bool)
    # cell (i, j) <-> pixel (4 i + 2, 4 j + 2)
    low[2, 2] = low[2, 6] = low[6, 10] = True
    label[6, 10] = 1
    low[3, 3] = True  # not a cell centre: ignored
    groups = torch.where(low, LOW, MEDIUM)
    view = dict(
        feat=feat,
        label=label,
        pred=label,
        anchor_eligible=low,
        groups=groups,
        centre_label=label,
        domain='source',
        key='k')
    mod = MCUContrastiveLoss(2, units=['cross_image_c2c'], normalize=False)
    out = mod.sample_view(view, 0, 0)
    assert out['centre_classes'].tolist() == [0, 1]
    cells = feat.reshape(2, -1).t()  # cell (i, j) -> row 3 i + j
    torch.testing.assert_close(out['centres'][0], (cells[0] + cells[1]) / 2)
    torch.testing.assert_close(out['centres'][1], cells[5])


def test_units_switchable_caps_bound_anchors_and_empty_is_zero():
    views = [_view(0, 'source', 's0'), _view(2, 'target', 't0')]
    for v in views:
        v['feat'].requires_grad_(True)
    mod = MCUContrastiveLoss(
        C,
        units=['intra_p2p'],
        max_anchors_per_class=1,
        max_samples_per_class=2)
    out = mod(views)
    assert set(out) == {'loss_con_intra_p2p', 'con_anchors'}
    assert out['con_anchors'].item() <= 2 * C
    # groups given as a function of the pixels read: same losses
    lazy = [
        dict(v, groups=(lambda idx, g=v['groups']: g.reshape(-1)[idx]))
        for v in views
    ]
    out2 = mod(lazy)
    assert all(out[k].item() == out2[k].item() for k in out)
    # no anchor at all (every prediction right): exact zero, with a graph
    for v in views:
        v['pred'] = v['label'].clone()
    out = MCUContrastiveLoss(C)(views)
    assert all(out[k].item() == 0 for k in out if k.endswith('p2p'))
    out['loss_con_intra_p2p'].backward()
    assert views[0]['feat'].grad is not None
    with pytest.raises(ValueError, match='unknown units'):
        MCUContrastiveLoss(C, units=['intra_p2c'])
    with pytest.raises(KeyError, match='misses'):
        MCUContrastiveLoss(C)([dict(feat=views[0]['feat'])])


def test_draws_are_deterministic():
    views = [_view(0, 'source', 's0'), _view(1, 'source', 's1')]
    mod = MCUContrastiveLoss(
        C, max_anchors_per_class=2, max_samples_per_class=3)
    a, b = mod(views, iteration=5), mod(views, iteration=5)
    c = mod(views, iteration=6)
    for k in a:
        assert a[k].item() == b[k].item()
    assert any(a[k].item() != c[k].item() for k in a if 'p2p' in k)


# --------------------------------------------------- issue 19: exact speed-ups
@pytest.mark.parametrize('kind', ['randn', 'ties', 'inf', 'nan', 'zeros'])
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_class_argmax_is_max_indices(kind, dtype):
    """``class_argmax`` == ``max(1).indices`` (first maximum on ties, the
    first NaN, infinities) for any rank."""
    from mmseg_ada.models.utils import class_argmax
    g = torch.Generator().manual_seed(0)
    for shape in [(2, 19, 16, 32), (1, 3, 5), (4, 2), (3, 7, 2, 2, 3)]:
        x = torch.randn(*shape, generator=g)
        if kind == 'ties':
            x = torch.randint(0, 3, shape, generator=g).float()
        elif kind == 'inf':
            x[:, 0] = float('inf')
            x.view(-1)[::7] = float('-inf')
        elif kind == 'nan':
            x.view(-1)[::11] = float('nan')
        elif kind == 'zeros':
            x = torch.zeros(shape)
            x.view(-1)[::3] = -0.0
        x = x.to(dtype)
        assert torch.equal(class_argmax(x), x.max(1).indices), shape
    x = torch.full((2, 4, 3), float('-inf'), dtype=dtype)
    assert torch.equal(class_argmax(x), x.max(1).indices)


def test_cap_per_class_equals_the_reference():
    """Same picks and the same generator state afterwards as the code
    before issue 19, thinned or not, sparse and dense masks."""
    from tests.mcu_reference import cap_per_class as ref_cap
    g = torch.Generator().manual_seed(0)
    for trial in range(150):
        h, w = (int(v) for v in torch.randint(1, 60, (2, ), generator=g))
        c = int(torch.randint(1, 25, (1, ), generator=g))
        lab = torch.randint(0, c, (h, w), generator=g)
        mask = torch.rand(
            h, w, generator=g) < float(torch.rand(1, generator=g))
        k = int(torch.randint(-1, 40, (1, ), generator=g))
        for oversample in (4., 1., 0.):
            seed = int(torch.randint(0, 10**6, (1, ), generator=g))
            ga = torch.Generator().manual_seed(seed)
            gb = torch.Generator().manual_seed(seed)
            got = cap_per_class(mask, lab, k, ga, oversample)
            want = ref_cap(mask, lab, k, gb, oversample)
            assert torch.equal(got, want), (trial, oversample)
            assert torch.equal(ga.get_state(), gb.get_state())


def test_info_nce_equals_the_reference_with_gradients():
    """Losses, validity and every gradient bit-identical to the code before
    issue 19: weights none / per anchor / per pair, own-pixel exclusion,
    sample sets, float32/64, and the underflow recomputation."""
    from tests.mcu_reference import weighted_info_nce as ref_nce

    def run(fn, a, al, s, sl, tau, w, ex, grp, n_g):
        a, s = a.clone().requires_grad_(), s.clone().requires_grad_()
        w = None if w is None else w.clone().requires_grad_()
        loss, valid = fn(a, al, s, sl, tau, w, ex, grp, n_g)
        if loss.requires_grad:
            up = torch.randn(
                loss.shape,
                generator=torch.Generator().manual_seed(1),
                dtype=loss.dtype)
            (loss * up).sum().backward()
        return loss.detach(), valid, a.grad, s.grad, \
            None if w is None else w.grad

    g = torch.Generator().manual_seed(0)
    underflow = False
    exact = mock.patch.object(torch, 'logsumexp', wraps=torch.logsumexp)
    for trial in range(150):
        dt = torch.float32 if trial % 3 else torch.float64
        n_a, n_s, d, c, n_g = (
            int(torch.randint(1, m, (1, ), generator=g))
            for m in (40, 60, 9, 7, 4))
        a = torch.randn(n_a, d, generator=g, dtype=dt)
        s = torch.randn(n_s, d, generator=g, dtype=dt)
        if trial % 5:
            a, s = F.normalize(a, dim=1), F.normalize(s, dim=1)
        if trial % 7 == 0:
            a = a * 300  # a positive far above the negatives
        al = torch.randint(0, c, (n_a, ), generator=g)
        sl = torch.randint(0, c, (n_s, ), generator=g)
        w = [
            None,
            torch.rand(n_a, generator=g, dtype=dt) + .2,
            torch.rand(n_a, n_s, generator=g, dtype=dt) + .2
        ][trial % 3]
        ex = None if trial % 2 else (torch.randint(
            -1, 30,
            (n_a, ), generator=g), torch.randint(-1, 30, (n_s, ), generator=g))
        grp = None if trial % 4 == 0 else torch.randint(
            0, n_g, (n_s, ), generator=g)
        tau = float(torch.rand(1, generator=g)) * 0.5 + 0.05
        args = (a, al, s, sl, tau, w, ex, grp, n_g)
        with exact as spy:
            got = run(weighted_info_nce, *args)
        for x, y in zip(got, run(ref_nce, *args)):
            assert (x is None and y is None) or torch.equal(x, y), trial
        underflow = underflow or spy.called
    assert underflow  # the exact recomputation was taken at least once


@pytest.mark.parametrize('align_corners', [False, True])
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_gather_pixel_features_table_equals_the_reference(
        align_corners, dtype):
    """Coordinates read from ``pixel_sampling_grid``: the same features and
    feature-map gradients as the code before issue 19."""
    from mmseg_ada.models.utils import pixel_sampling_grid
    from tests.mcu_reference import gather_pixel_features as ref_gather
    g = torch.Generator().manual_seed(0)
    for size, fsize in [((37, 53), (5, 7)), ((128, 256), (32, 64)),
                        ((1, 9), (1, 3))]:
        feat = torch.randn(6, *fsize, generator=g, dtype=dtype)
        idx = torch.randint(0, size[0] * size[1], (300, ), generator=g)
        table = pixel_sampling_grid(size, align_corners, dtype)
        outs = []
        for fn, kw in ((gather_pixel_features, dict(grid=table)),
                       (gather_pixel_features, {}), (ref_gather, {})):
            f = feat.clone().requires_grad_()
            out = fn(f, idx, size, align_corners, **kw)
            (out * torch.arange(out.numel(),
                                dtype=dtype).view_as(out)).sum().backward()
            outs.append((out.detach(), f.grad))
        for got in outs[:2]:
            assert torch.equal(got[0], outs[2][0])
            assert torch.equal(got[1], outs[2][1])
    with pytest.raises(ValueError, match='grid of shape'):
        gather_pixel_features(feat, idx[:3], (5, 5), grid=table)


@pytest.mark.parametrize('ignore_index', [255, 2, -1])
def test_dccm_confusion_equals_the_reference(ignore_index):
    """The same counts as before issue 19 with an ignore index outside and
    inside the classes, and out-of-range labels."""
    from tests.mcu_reference import confusion as ref_confusion
    dccm = DCCM(5, ignore_index=ignore_index)
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(-2, 8, (3, 17, 19), generator=g)
    labels[0, :3] = 255
    preds = torch.randint(0, 5, (3, 17, 19), generator=g)
    got = dccm.confusion(labels, preds)
    assert torch.equal(got, ref_confusion(dccm, labels, preds))
    assert got.sum() > 0
