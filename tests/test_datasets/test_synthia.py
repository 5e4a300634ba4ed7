"""SYNTHIA RAND-CITYSCAPES: label map, dataset loading and errors."""
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.datasets import CityscapesDataset
from mmseg.registry import METRICS

import mmseg_ada  # noqa: F401  (registers the datasets and metrics)
from mmseg_ada.datasets import SynthiaDataset
from mmseg_ada.datasets.label_maps import (SYNTHIA_13_CLASSES,
                                           SYNTHIA_16_CLASSES,
                                           SYNTHIA_ID_TO_TRAINID,
                                           synthia_to_train_ids)
from mmseg_ada.evaluation import SynthiaIoUMetric
from tests.data_fixtures import (SYNTHIA_EXPECTED, SYNTHIA_IDS, expected,
                                 make_synthia, synthia_label_bgr, write_rgb)
from tools.dataset_converters._convert import convert_synthia

LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLASSES = CityscapesDataset.METAINFO['classes']


def test_synthia_lut_matches_readme():
    assert SYNTHIA_ID_TO_TRAINID.shape == (256, )
    assert SYNTHIA_ID_TO_TRAINID.dtype == np.uint8
    for synthia_id, train_id in SYNTHIA_EXPECTED.items():
        assert SYNTHIA_ID_TO_TRAINID[synthia_id] == train_id, synthia_id
    assert (SYNTHIA_ID_TO_TRAINID[23:] == 255).all()


def test_synthia_class_subsets_by_name():
    names16 = {CLASSES[i] for i in SYNTHIA_16_CLASSES}
    assert len(SYNTHIA_16_CLASSES) == 16
    assert names16 == set(CLASSES) - {'terrain', 'truck', 'train'}
    names13 = {CLASSES[i] for i in SYNTHIA_13_CLASSES}
    assert names13 == names16 - {'wall', 'fence', 'pole'}
    # the converted labels use exactly the 16 classes
    used = set(SYNTHIA_ID_TO_TRAINID.tolist()) - {255}
    assert used == set(SYNTHIA_16_CLASSES)


def test_synthia_to_train_ids_reads_r_channel():
    bgr = synthia_label_bgr(SYNTHIA_IDS)
    want = expected(SYNTHIA_IDS, SYNTHIA_EXPECTED)
    np.testing.assert_array_equal(synthia_to_train_ids(bgr), want)
    np.testing.assert_array_equal(synthia_to_train_ids(SYNTHIA_IDS), want)
    road = synthia_to_train_ids(bgr, lanemarking_as_road=True)
    lane = SYNTHIA_IDS == 22
    assert (road[lane] == 0).all() and (road[~lane] == want[~lane]).all()


def test_synthia_to_train_ids_errors_name_file_and_value():
    with pytest.raises(ValueError) as err:
        synthia_to_train_ids(
            np.zeros((4, 6, 3), np.uint8), path='GT/LABELS/0000001.png')
    assert 'expected a 16-bit 3-channel PNG (class id in the R channel), ' \
           'got uint8' in str(err.value)
    assert 'GT/LABELS/0000001.png' in str(err.value)
    bad = synthia_label_bgr(SYNTHIA_IDS)
    bad[1, 1, 2] = 23
    with pytest.raises(ValueError, match=r'0000002\.png.*\b23\b'):
        synthia_to_train_ids(bad, path='GT/LABELS/0000002.png')
    with pytest.raises(ValueError, match='shape'):
        synthia_to_train_ids(np.zeros((2, 2, 4), np.uint16), path='x.png')


def _dataset(root, **kw):
    init_default_scope('mmseg')
    return SynthiaDataset(data_root=str(root), pipeline=LOAD, **kw)


def test_synthia_dataset_loads_exact_train_ids(tmp_path):
    root = make_synthia(tmp_path / 'synthia')
    convert_synthia(root)
    ds = _dataset(root)
    assert len(ds) == 2  # converted labels are not images
    assert ds.metainfo['classes'] == CLASSES
    for k in range(2):
        res = ds[k]
        assert res['img_path'].endswith(f'RGB/000000{k}.png')
        assert res['img'].shape == (4, 6, 3)
        np.testing.assert_array_equal(
            res['gt_seg_map'],
            expected(np.roll(SYNTHIA_IDS, k), SYNTHIA_EXPECTED))


def test_synthia_dataset_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'nowhere/RGB'):
        _dataset(tmp_path / 'nowhere')
    root = make_synthia(tmp_path / 'synthia')
    with pytest.raises(FileNotFoundError) as err:
        _dataset(root)  # not converted yet
    assert '0000000_labelTrainIds.png' in str(err.value)
    assert 'tools/dataset_converters/synthia.py' in str(err.value)


def test_synthia_8bit_label_is_broken_and_left_out(tmp_path):
    root = make_synthia(tmp_path / 'synthia')
    bad = osp.join(root, 'GT', 'LABELS', '0000002.png')
    write_rgb(osp.join(root, 'RGB', '0000002.png'), 4, 6)
    cv2.imwrite(bad, np.full((4, 6, 3), 3, np.uint8))  # 8-bit copy
    summary = convert_synthia(root)
    assert len(summary.converted) == 2
    (stem, why), = summary.broken
    assert stem == '0000002'
    assert bad in why and 'expected a 16-bit 3-channel PNG' in why
    assert len(_dataset(root)) == 2


def test_synthia_eval_config_uses_synthia_metric(tmp_path):
    base = osp.join(REPO, 'configs', '_base_', 'datasets')
    cfg_path = tmp_path / 'synthia_cfg.py'
    cfg_path.write_text(
        f"_base_ = ['{base}/synthia.py', "
        f"'{base}/cityscapes_target_synthia_eval.py']\n"
        'train_dataloader = {{_base_.synthia_train_dataloader}}\n')
    cfg = Config.fromfile(str(cfg_path))
    assert cfg.train_dataloader.dataset.type == 'SynthiaDataset'
    assert cfg.val_dataloader.dataset.type == 'CityscapesDataset'
    metric = METRICS.build(cfg.test_evaluator)
    assert isinstance(metric, SynthiaIoUMetric)
    assert metric.metrics == ['mIoU']
