"""AddPixelIndex / PackPixelIndex through real mmseg pipelines."""
import mmcv
import numpy as np
import pytest
from mmcv.transforms import Resize as MMCVResize
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

import mmseg_ada  # noqa: F401  (registers the transforms)
from mmseg_ada.datasets.transforms import AddPixelIndex, PackPixelIndex

H, W = 48, 80


@pytest.fixture
def image_and_label(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    # per-pixel random labels: any misplaced pixel shows
    gt = rng.integers(0, 19, (H, W), dtype=np.uint8)
    img_path, seg_path = str(tmp_path / 'a.png'), str(tmp_path / 'a_l.png')
    mmcv.imwrite(img, img_path)
    mmcv.imwrite(gt, seg_path)
    return img_path, seg_path, gt


def _pipeline(extra=(), crop=(32, 40)):
    init_default_scope('mmseg')
    return Compose([
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='AddPixelIndex'),
        dict(
            type='RandomResize',
            scale=(W, H),
            ratio_range=(0.5, 2.0),
            keep_ratio=True),
        dict(type='RandomCrop', crop_size=crop, cat_max_ratio=1.),
        dict(type='RandomFlip', prob=0.5),
        *extra,
        dict(type='PackPixelIndex'),
    ])


def _check(out, gt):
    sample = out['data_samples']
    index = sample.gt_pixel_index.data
    assert index.dtype.is_floating_point is False
    assert str(index.dtype) == 'torch.int64' and index.ndim == 3
    index = index[0].numpy()
    label = sample.gt_sem_seg.data[0].numpy()
    assert index.shape == label.shape == tuple(out['inputs'].shape[-2:])
    valid = index >= 0
    assert valid.any()
    assert index.max() < H * W
    # the original label, looked up through the index, is the moved label
    np.testing.assert_array_equal(gt.reshape(-1)[index[valid]], label[valid])
    # padding (-1) exactly where the label map was padded (255)
    np.testing.assert_array_equal(~valid, label == 255)
    return index


def test_index_follows_resize_crop_flip(image_and_label):
    img_path, seg_path, gt = image_and_label
    pipe = _pipeline()
    flips, scales = set(), set()
    np.random.seed(0)
    for _ in range(12):
        out = pipe(
            dict(
                img_path=img_path,
                seg_map_path=seg_path,
                reduce_zero_label=False,
                seg_fields=[]))
        _check(out, gt)
        flips.add(out['data_samples'].metainfo['flip'])
        scales.add(out['data_samples'].metainfo['scale_factor'][0] > 1)
    # both flip branches, up- and down-scaling were exercised
    assert flips == {True, False} and scales == {True, False}


def test_index_with_pad_is_minus_one(image_and_label):
    img_path, seg_path, gt = image_and_label
    # a crop larger than small rescaled images, then Pad to a fixed size
    pipe = _pipeline(extra=[dict(type='Pad', size=(96, 64))], crop=(64, 96))
    np.random.seed(1)
    seen_pad = False
    for _ in range(6):
        out = pipe(
            dict(
                img_path=img_path,
                seg_map_path=seg_path,
                reduce_zero_label=False,
                seg_fields=[]))
        index = _check(out, gt)
        seen_pad |= bool((index < 0).any())
    assert seen_pad


def test_identity_map_and_seg_fields():
    img = np.zeros((3, 5, 3), np.uint8)
    out = AddPixelIndex()(dict(img=img))
    assert out['seg_fields'] == ['gt_pixel_index']
    assert out['gt_pixel_index'].dtype == np.int32
    np.testing.assert_array_equal(out['gt_pixel_index'],
                                  np.arange(15).reshape(3, 5))
    # idempotent w.r.t. seg_fields
    assert AddPixelIndex()(out)['seg_fields'] == ['gt_pixel_index']


def test_missing_image_is_named():
    with pytest.raises(KeyError, match='AddPixelIndex.*img'):
        AddPixelIndex()(dict(img_path='x.png'))


def test_transform_that_skips_the_map_is_caught():
    """mmcv's own Resize ignores seg_fields: packing must refuse."""
    img = np.zeros((10, 20, 3), np.uint8)
    res = AddPixelIndex()(dict(img=img, img_path='x.png'))
    res = MMCVResize(scale=(40, 20))(res)
    with pytest.raises(ValueError, match='gt_pixel_index has shape'):
        PackPixelIndex()(res)


def test_without_index_is_pack_seg_inputs():
    img = np.zeros((4, 6, 3), np.uint8)
    out = PackPixelIndex()(dict(img=img))
    assert 'gt_pixel_index' not in out['data_samples']
