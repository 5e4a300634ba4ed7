"""Oracle discipline: target labels reach a loss only where they were bought.

Poison every target label pixel OUTSIDE the label store's masks and train:
the model must come out bit-identical.  Poisoning INSIDE the masks must
change it (so the test can fail).
"""
import glob
import json
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from mmseg_ada.active.stores import MaskLabelStore
from mmseg_ada.datasets import LabeledSubsetDataset
from tests.utils import PYTHON, REPO, run_tool

DEMO_CFG = osp.join(
    REPO, 'configs', 'demo',
    'deeplabv3plus_r18-d8_4xb4-600_demo-gta5-cityscapes-128x256.py')


def _train_cfg(tmp_path, name, data_root, store_dir):
    cfg = tmp_path / f'{name}.py'
    cfg.write_text(f"""
_base_ = [{DEMO_CFG!r}]
custom_imports = dict(imports=['mmseg_ada', 'dump_state_hook'],
                      allow_failed_imports=False)
randomness = dict(seed=0, deterministic=True)
target = dict(
    type='LabeledSubsetDataset', work_dir={store_dir!r},
    dataset=dict(
        type='CityscapesDataset', data_root={data_root!r} + '/cityscapes',
        data_prefix=dict(img_path='leftImg8bit/train',
                         seg_map_path='gtFine/train'),
        pipeline={{{{_base_.target_train_pipeline}}}}))
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(source=dict(data_root={data_root!r} + '/gta5'),
                 target=target))
train_cfg = dict(max_iters=3, val_interval=1000)
val_cfg = None
val_dataloader = None
val_evaluator = None
default_hooks = dict(checkpoint=dict(interval=1000),
                     visualization=dict(type='SegVisualizationHook',
                                        draw=False))
custom_hooks = [dict(type='DumpStateHook')]
""")
    return str(cfg)


def _poison(root, store, inside):
    """Random class ids in every target train label, outside (or inside)
    the bought masks."""
    rng = np.random.default_rng(1)
    n = 0
    for path in glob.glob(
            osp.join(root, 'cityscapes', 'gtFine', 'train', '*',
                     '*_labelTrainIds.png')):
        gt = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        stem = osp.basename(path)[:-len('_gtFine_labelTrainIds.png')]
        mask = store.mask(stem, gt.shape)
        region = mask if inside else ~mask
        noise = rng.integers(0, 19, size=gt.shape).astype(np.uint8)
        gt[region] = noise[region]
        n += int(region.sum())
        cv2.imwrite(path, gt)
    return n


def _digests(work):
    with open(osp.join(work, 'state_rank0.json')) as f:
        return json.load(f)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_poisoned_unbought_labels_change_nothing(tmp_path, synthetic_da):
    # a label store with a few bought regions (round 1)
    store_dir = str(tmp_path / 'store')
    store = MaskLabelStore(store_dir)
    stems = sorted(
        osp.basename(p)[:-len('_leftImg8bit.png')] for p in glob.glob(
            osp.join(synthetic_da, 'cityscapes', 'leftImg8bit', 'train', '*',
                     '*_leftImg8bit.png')))
    total = 0
    for i, stem in enumerate(stems[:3]):
        m = np.zeros((64, 128), bool)
        m[10 + 5 * i:30 + 5 * i, 20:70] = True
        total += store.add(stem, m)
    store.commit(
        1,
        dict(
            round=1,
            strategy='hand',
            unit='region',
            budget=total,
            spent=total,
            labeled=total,
            total=64 * 128 * len(stems),
            labeled_fraction=0.0))
    store.close()

    clean = synthetic_da
    out_side = str(tmp_path / 'poison_outside')
    in_side = str(tmp_path / 'poison_inside')
    for dst in (out_side, in_side):
        shutil.copytree(clean, dst, symlinks=True)
    n_out = _poison(out_side, store, inside=False)
    n_in = _poison(in_side, store, inside=True)
    assert n_out > 10 * n_in > 0

    runs = {}
    for name, root in (('clean', clean), ('outside', out_side), ('inside',
                                                                 in_side)):
        work = str(tmp_path / f'work_{name}')
        proc = run_tool([
            PYTHON,
            osp.join(REPO, 'tools', 'train.py'),
            _train_cfg(tmp_path, name, root, store_dir), '--work-dir', work
        ])
        assert proc.returncode == 0, proc.stderr[-4000:]
        runs[name] = _digests(work)
    assert runs['clean'] == runs['outside'], 'unbought labels leaked'
    assert runs['clean'] != runs['inside'], 'bought labels were not used'


def test_labeled_subset_lists_only_labelled_images(tmp_path, synthetic_da):
    ds_cfg = dict(
        type='CityscapesDataset',
        data_root=osp.join(synthetic_da, 'cityscapes'),
        data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='PackSegInputs')
        ])
    from mmseg.utils import register_all_modules

    import mmseg_ada  # noqa: F401
    register_all_modules(init_default_scope=True)
    work = str(tmp_path / 'w')
    ds = LabeledSubsetDataset(ds_cfg, work_dir=work)
    assert ds.mode == 'mask'
    assert len(ds) == 0  # no store yet: empty, never an error or a hang
    store = MaskLabelStore(work)
    stem = ds.stems[2]
    m = np.zeros((64, 128), bool)
    m[5:9, 7:20] = True
    store.add(stem, m)
    assert len(ds) == 0  # not committed yet
    store.commit(
        1,
        dict(
            round=1,
            strategy='hand',
            unit='region',
            budget=52,
            spent=52,
            labeled=52,
            total=1,
            labeled_fraction=0.0))
    assert len(ds) == 1  # picked up without rebuilding the dataset
    item = ds[0]
    gt = item['data_samples'].gt_sem_seg.data[0].numpy()
    assert np.all(gt[~m] == 255)
    raw = cv2.imread(
        ds.dataset.get_data_info(2)['seg_map_path'], cv2.IMREAD_UNCHANGED)
    assert np.array_equal(gt[m], raw[m])
    # the cursor hides the round from training again
    store.set_cursor(0)
    assert len(ds) == 0
    store.close()


def test_pipeline_without_annotations_is_refused(synthetic_da):
    with pytest.raises(ValueError, match='LoadAnnotations'):
        LabeledSubsetDataset(
            mode='mask',
            dataset=dict(
                type='CityscapesDataset',
                data_root=osp.join(synthetic_da, 'cityscapes'),
                data_prefix=dict(
                    img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                pipeline=[
                    dict(type='LoadImageFromFile'),
                    dict(type='PackSegInputs')
                ]))
