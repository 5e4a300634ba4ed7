"""ClsRandomCrop and PackClsInputs; the train/test pipelines on images."""
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

import mmseg_ada  # noqa: F401
from mmseg_ada.datasets.transforms import ClsRandomCrop, PackClsInputs
from mmseg_ada.structures import ClsDataSample
from tests.cls_fixtures import write_image
from tests.utils import REPO


def _img(h, w):
    return np.arange(
        h * w * 3, dtype=np.int64).reshape(h, w, 3).astype(np.uint16)


def test_random_crop_is_a_window_of_the_image():
    img = _img(10, 12)
    np.random.seed(0)
    offsets = set()
    for _ in range(30):
        out = ClsRandomCrop(crop_size=(4, 5))(dict(img=img.copy()))
        x1, y1, x2, y2 = out['crop_bbox']
        assert (x2 - x1, y2 - y1) == (5, 4)
        assert 0 <= x1 <= 7 and 0 <= y1 <= 6
        np.testing.assert_array_equal(out['img'], img[y1:y2, x1:x2])
        assert out['img_shape'] == (4, 5)
        offsets.add((int(x1), int(y1)))
    assert len(offsets) > 5  # random, not a fixed window
    # seeded: reproducible
    np.random.seed(3)
    a = ClsRandomCrop(4)(dict(img=img))['crop_bbox']
    np.random.seed(3)
    b = ClsRandomCrop(4)(dict(img=img))['crop_bbox']
    np.testing.assert_array_equal(a, b)


def test_random_crop_small_image():
    img = _img(3, 12)
    with pytest.raises(ValueError, match="'x.jpg' of size 3x12"):
        ClsRandomCrop(4)(dict(img=img, img_path='x.jpg'))
    out = ClsRandomCrop(4, pad_if_needed=True, pad_val=7)(dict(img=img))
    assert out['img'].shape == (4, 4, 3)
    with pytest.raises(ValueError, match='crop_size'):
        ClsRandomCrop((0, 3))


def test_pack_cls_inputs():
    img = np.random.default_rng(0).integers(0, 255, (5, 6, 3), np.uint8)
    out = PackClsInputs()(
        dict(
            img=img,
            gt_label=4,
            img_path='a.jpg',
            sample_idx=7,
            ori_shape=(5, 6),
            img_shape=(5, 6),
            other='x'))
    assert set(out) == {'inputs', 'data_samples'}
    assert out['inputs'].shape == (3, 5, 6)
    assert out['inputs'].dtype == torch.uint8
    torch.testing.assert_close(out['inputs'],
                               torch.from_numpy(img).permute(2, 0, 1))
    s = out['data_samples']
    assert isinstance(s, ClsDataSample)
    assert s.gt_label.tolist() == [4]
    assert s.img_path == 'a.jpg' and s.sample_idx == 7
    assert 'other' not in s
    gray = PackClsInputs()(dict(img=img[..., 0]))
    assert gray['inputs'].shape == (
        1, 5, 6) and 'gt_label' not in gray['data_samples']
    kept = PackClsInputs(algorithm_keys=('other', ))(dict(img=img, other=3))
    assert kept['data_samples'].other == 3


def test_benchmark_pipelines_on_an_image(tmp_path):
    """Resize 256x256 -> random 224 crop -> flip (train); resize ->
    centre 224 crop (test), with mmcv's transforms."""
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/datasets/office31.py'))
    path = str(tmp_path / 'x.jpg')
    write_image(path, 0, size=(30, 40))
    init_default_scope('mmseg')
    train = Compose(cfg.office31_train_pipeline)
    test = Compose(cfg.office31_test_pipeline)
    out = train(dict(img_path=path, gt_label=3))
    assert out['inputs'].shape == (3, 224, 224)
    assert out['data_samples'].gt_label.tolist() == [3]
    a = test(dict(img_path=path, gt_label=3))
    b = test(dict(img_path=path, gt_label=3))
    assert a['inputs'].shape == (3, 224, 224)
    torch.testing.assert_close(a['inputs'], b['inputs'])
    # the centre crop of the 256x256 resize
    full = mmcv.imresize(mmcv.imread(path), (256, 256))
    torch.testing.assert_close(
        a['inputs'],
        torch.from_numpy(full[16:240, 16:240]).permute(2, 0, 1))
