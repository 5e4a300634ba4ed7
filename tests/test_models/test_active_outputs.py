"""What the segmentors serve the selection pass for the region baselines
(ADeADA Figure 3): AADA's 'domain' from the adversarial warm-up's
discriminator, ReDAL's 'image_gradient' and 'feature_sq_norm'."""
import copy
import math
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmseg_ada  # noqa: F401
from tests.utils import REPO

TINY_MODEL = osp.join(REPO, 'configs', '_base_', 'models',
                      'deeplabv3plus_r18-d8_tiny.py')
H, W = 32, 64


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('mmseg')


def build(**overrides):
    cfg = copy.deepcopy(Config.fromfile(TINY_MODEL).model)
    cfg.data_preprocessor.size = (H, W)
    cfg.update(overrides)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval()


def _samples(n, h=H, w=W):
    out = []
    for _ in range(n):
        s = SegDataSample()
        s.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w)))
        out.append(s)
    return out


def test_domain_is_p_source_of_the_frozen_warm_up_discriminator():
    """'domain' = 1 - sigmoid(D(softmax(logits upsampled to the input))),
    resized to the prob's grid; D is frozen and takes the adversarial
    warm-up's weights (same state-dict keys)."""
    warm = build(
        type='AdversarialEncoderDecoder',
        discriminator=dict(type='FCDiscriminator', ndf=8))
    torch.manual_seed(1)
    for p in warm.discriminator.parameters():  # not the init: a "trained" D
        p.data.normal_(0, 0.1)
    model = build(discriminator=dict(type='FCDiscriminator', ndf=8))
    assert all(not p.requires_grad for p in model.discriminator.parameters())
    missing, unexpected = model.load_state_dict(
        warm.state_dict(), strict=False)
    assert not missing and not unexpected
    x = torch.randn(2, 3, H, W)
    out = model.predict_active(x, _samples(2), ['prob', 'domain'])
    with torch.no_grad():
        logits = model.decode_head.forward(model.extract_feat(x))
        up = F.interpolate(
            logits, size=(H, W), mode='bilinear', align_corners=False)
        d = torch.sigmoid(warm.discriminator(up.softmax(1)))
        want = F.interpolate(
            1 - d, size=logits.shape[2:], mode='bilinear', align_corners=False)
    assert d.shape[2:] == (1, 2)  # H/32 x W/32
    for i in range(2):
        assert out['domain'][i].shape == (1, *logits.shape[2:])
        torch.testing.assert_close(out['domain'][i], want[i])
        torch.testing.assert_close(out['prob'][i], logits[i].softmax(0))
    # the adversarial model serves the same from its own (trained) D, with
    # its own input (ADVENT: entropy maps) and labels
    torch.testing.assert_close(
        warm.eval().predict_active(x, _samples(2), ['domain'])['domain'][0],
        want[0])
    advent = build(
        type='AdversarialEncoderDecoder',
        discriminator=dict(type='FCDiscriminator', ndf=8),
        adv_input='entropy',
        source_label=1,
        target_label=0)
    with torch.no_grad():
        lg = advent.decode_head.forward(advent.extract_feat(x))
        dd = torch.sigmoid(advent.discriminator(advent.disc_input(lg, (H, W))))
        ref = F.interpolate(
            dd, size=lg.shape[2:], mode='bilinear', align_corners=False)
    torch.testing.assert_close(
        advent.predict_active(x, _samples(2), ['domain'])['domain'][1], ref[1])


def test_domain_needs_a_discriminator_and_config_errors():
    model = build()
    with pytest.raises(KeyError, match='discriminator'):
        model.predict_active(torch.randn(1, 3, H, W), _samples(1), ['domain'])
    with pytest.raises(ValueError, match='disc_input'):
        build(disc_input='logits')
    with pytest.raises(KeyError, match='cannot serve'):
        model.predict_active(torch.randn(1, 3, H, W), _samples(1), ['edges'])


def test_image_gradient_against_loops():
    """ReDAL's colour gradient on the pixel grid: mean |RGB_q - RGB_p| over
    the 8 neighbours inside the image, colours in [0, 1] (the
    preprocessor's normalisation undone), clipped at 0.1."""
    model = build()
    pre = model.data_preprocessor
    g = torch.Generator().manual_seed(0)
    h, w = 5, 7
    rgb = torch.randint(0, 256, (1, 3, h, w), generator=g).float()
    rgb[0, :, 0, :] = 100.  # a flat row: small gradients, below the clip
    rgb[0, :, 1, :] = 104.
    x = (rgb - pre.mean) / pre.std
    got = model.image_gradient(x)[0, 0]
    img = rgb[0].numpy() / 255.
    want = np.zeros((h, w))
    for y in range(h):
        for xx in range(w):
            diffs = [
                np.abs(img[:, y + dy, xx + dx] - img[:, y, xx]).mean()
                for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                if (dy or dx) and 0 <= y + dy < h and 0 <= xx + dx < w
            ]
            want[y, xx] = min(np.mean(diffs), 0.1)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    assert 0 < want[0, 3] < 0.1  # the flat top row is not clipped
    # served per image at the input's resolution, padding cropped
    out = model.predict_active(
        torch.cat([x, x]), _samples(2, h=4, w=6), ['image_gradient'])
    assert out['image_gradient'][0].shape == (1, 4, 6)


def test_feature_sq_norm_gives_the_region_feature_variance():
    model = build()
    x = torch.randn(1, 3, H, W)
    out = model.predict_active(x, _samples(1), ['feature', 'feature_sq_norm'])
    f, sq = out['feature'][0], out['feature_sq_norm'][0]
    torch.testing.assert_close(sq[0], (f**2).sum(0))
    # a region's mean of ||z||^2 minus ||mean z||^2 is the trace of its
    # feature covariance (population), >= 0
    z = f.reshape(f.shape[0], -1)
    var = sq.mean() - (z.mean(1)**2).sum()
    assert math.isclose(
        float(var), float(z.var(1, unbiased=False).sum()), rel_tol=1e-4)


def test_the_served_names_are_checked_before_training():
    """The selection setup's check (no forward pass): RegionAADA's 'domain'
    only with a discriminator; ReDAL's names with a feature head."""
    from mmseg_ada.active.strategies import ReDAL, RegionAADA
    plain = build()
    assert plain.active_outputs() == ('prob', 'feature', 'feature_sq_norm',
                                      'aux_prob', 'image_gradient')
    with pytest.raises(KeyError, match="'domain' needs a domain discr"):
        plain.check_active_requires(RegionAADA().requires)
    plain.check_active_requires(ReDAL().requires)
    with_d = build(discriminator=dict(type='FCDiscriminator', ndf=8))
    assert 'domain' in with_d.active_outputs()
    with_d.check_active_requires(RegionAADA().requires)
