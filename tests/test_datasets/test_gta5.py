"""GTA5: label map, dataset listing/loading and its error messages."""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.datasets import CityscapesDataset
from mmseg.registry import DATASETS

import mmseg_ada  # noqa: F401  (registers the datasets)
from mmseg_ada.datasets import GTA5Dataset
from mmseg_ada.datasets.label_maps import (CITYSCAPES_ID_TO_TRAINID,
                                           gta5_to_train_ids)
from tests.data_fixtures import (CITYSCAPES_EXPECTED, GTA5_IDS, expected,
                                 make_gta5, write_rgb)
from tools.dataset_converters._convert import convert_gta5

LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_cityscapes_lut_matches_labels_table():
    assert CITYSCAPES_ID_TO_TRAINID.shape == (256, )
    assert CITYSCAPES_ID_TO_TRAINID.dtype == np.uint8
    for label_id, train_id in CITYSCAPES_EXPECTED.items():
        assert CITYSCAPES_ID_TO_TRAINID[label_id] == train_id, label_id
    # exactly 19 ids map to the 19 distinct trainIds
    mapped = CITYSCAPES_ID_TO_TRAINID[CITYSCAPES_ID_TO_TRAINID != 255]
    assert sorted(mapped.tolist()) == list(range(19))


def test_gta5_to_train_ids_every_id():
    out = gta5_to_train_ids(GTA5_IDS)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, expected(GTA5_IDS, CITYSCAPES_EXPECTED))


def test_gta5_to_train_ids_rejects_id_outside_map():
    label = GTA5_IDS.copy()
    label[2, 3] = 34
    with pytest.raises(ValueError, match=r"labels/x\.png.*34"):
        gta5_to_train_ids(label, path='labels/x.png')
    with pytest.raises(ValueError, match='shape'):
        gta5_to_train_ids(np.zeros((2, 2, 3), np.uint8), path='a.png')


def _dataset(root, **kw):
    init_default_scope('mmseg')  # LoadAnnotations is mmseg's, not mmcv's
    return GTA5Dataset(data_root=str(root), pipeline=LOAD, **kw)


def _img_names(ds):
    return [
        osp.basename(ds.get_data_info(i)['img_path']) for i in range(len(ds))
    ]


def test_gta5_dataset_loads_exact_train_ids(tmp_path):
    root = make_gta5(tmp_path / 'gta5', stems=('00001', '00002', '00003'))
    convert_gta5(root)
    ds = _dataset(root)
    # converted labels in labels/ are never listed as images
    assert len(ds) == 3
    assert ds.metainfo['classes'] == CityscapesDataset.METAINFO['classes']
    for k in range(3):
        res = ds[k]
        assert res['img_path'].endswith(f'images/0000{k + 1}.png')
        assert res['img'].shape == (5, 8, 3)
        np.testing.assert_array_equal(
            res['gt_seg_map'],
            expected(np.roll(GTA5_IDS, k), CITYSCAPES_EXPECTED))


def test_gta5_dataset_split_file(tmp_path):
    root = make_gta5(tmp_path / 'gta5', stems=('00001', '00002', '00003'))
    convert_gta5(root)
    (tmp_path / 'gta5' / 'split.txt').write_text('00003\n00001\n\n')
    ds = _dataset(root, ann_file='split.txt')
    assert _img_names(ds) == ['00001.png', '00003.png']
    with pytest.raises(FileNotFoundError, match='nosplit.txt'):
        _dataset(root, ann_file='nosplit.txt')
    (tmp_path / 'gta5' / 'bad.txt').write_text('00009\n')
    with pytest.raises(FileNotFoundError, match='00009.png'):
        _dataset(root, ann_file='bad.txt')


def test_gta5_dataset_missing_folder(tmp_path):
    root = make_gta5(tmp_path / 'gta5')
    convert_gta5(root)
    os.rename(osp.join(root, 'labels'), osp.join(root, 'labels_moved'))
    with pytest.raises(FileNotFoundError, match=r'gta5/labels'):
        _dataset(root)
    with pytest.raises(FileNotFoundError, match=r'nowhere/images'):
        _dataset(tmp_path / 'nowhere')


def test_gta5_dataset_image_without_converted_label(tmp_path):
    root = make_gta5(tmp_path / 'gta5')
    convert_gta5(root)
    # a new image whose label was never converted
    write_rgb(osp.join(root, 'images', '00007.png'), 5, 8)
    with pytest.raises(FileNotFoundError) as err:
        _dataset(root)
    msg = str(err.value)
    assert '00007_labelTrainIds.png' in msg
    assert 'tools/dataset_converters/gta5.py' in msg


def test_gta5_dataset_leaves_out_listed_broken_pairs(tmp_path):
    root = make_gta5(tmp_path / 'gta5')
    write_rgb(osp.join(root, 'images', '00007.png'), 5, 8)  # no label
    summary = convert_gta5(root)
    assert [s for s, _ in summary.broken] == ['00007']
    ds = _dataset(root)
    assert len(ds) == 2
    assert _img_names(ds) == ['00001.png', '00002.png']
    # without the broken list the missing label is an error again
    with pytest.raises(FileNotFoundError, match='00007_labelTrainIds'):
        _dataset(root, broken_list=None)


def test_gta5_base_config_builds_and_composes(tmp_path):
    root = make_gta5(tmp_path / 'gta5', stems=('00001', ))
    convert_gta5(root)
    cfg_path = tmp_path / 'gta5_only.py'
    base = osp.join(REPO, 'configs', '_base_', 'datasets')
    cfg_path.write_text(
        f"_base_ = ['{base}/gta5.py', '{base}/cityscapes_target.py']\n"
        'train_dataloader = {{_base_.gta5_train_dataloader}}\n')
    cfg = Config.fromfile(str(cfg_path))
    assert cfg.train_dataloader.sampler.type == 'InfiniteSampler'
    assert cfg.val_evaluator.type == 'IoUMetric'
    ds_cfg = cfg.gta5_train_dataset.copy()
    ds_cfg['data_root'] = root
    init_default_scope('mmseg')
    ds = DATASETS.build(ds_cfg)
    sample = ds[0]
    # 8x5 image -> Resize to 1280x720 (keep ratio: 1152x720) -> 512x1024 crop
    assert tuple(sample['inputs'].shape) == (3, 512, 1024)
    seg = sample['data_samples'].gt_sem_seg.data.numpy()
    assert seg.shape == (1, 512, 1024)
    allowed = set(CITYSCAPES_EXPECTED.values())
    assert set(np.unique(seg).tolist()) <= allowed
