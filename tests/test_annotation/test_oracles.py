"""Every label a loss sees comes through the oracle.

Swapping the oracle swaps the labels of every unit kind (masks, images,
online pixels, LADA's anchors); the :class:`HumanOracle` answers only from
the imported version the run pinned, never from the dataset's own
annotations (they are deleted here), and refuses a round not imported yet.
"""
import glob
import os
import os.path as osp
import shutil
import sys

import numpy as np
import pytest
import torch

import mmseg_ada  # noqa: F401
from mmseg_ada.active.oracles import (GroundTruthOracle, HumanOracle,
                                      LabelsNotImported)
from mmseg_ada.active.stores import ImageLabelStore, MaskLabelStore
from mmseg_ada.active.units import PoolItem
from mmseg_ada.annotation.answers import (RoundAnswers, pin_answers,
                                          write_answers)
from mmseg_ada.annotation.rounds import import_round
from mmseg_ada.datasets import LabeledSubsetDataset, PAADataset
from mmseg_ada.engine.online_acquisition import OnlineAcquisition
from tests.utils import REPO
from .conftest import _report

sys.path.insert(0, osp.join(REPO, 'tests', 'helpers'))
from constant_oracle import ConstantOracle  # noqa: E402,F401

SUFFIX = '_leftImg8bit.png'


@pytest.fixture(autouse=True)
def _mmseg_scope():
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)


def _cityscapes(root, pipeline=None):
    return dict(
        type='CityscapesDataset',
        data_root=osp.join(root, 'cityscapes'),
        data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=pipeline or [
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='PackSegInputs')
        ])


@pytest.fixture
def data(synthetic_da, tmp_path):
    """A private copy of the synthetic target (its labels get deleted)."""
    root = str(tmp_path / 'data')
    shutil.copytree(
        osp.join(synthetic_da, 'cityscapes'), osp.join(root, 'cityscapes'))
    return root


def _two_rounds(work, stems):
    """Round 1 buys the top rows of image 0 and 1, round 2 the bottom rows
    of image 0."""
    store = MaskLabelStore(work, dict(a=1))
    m = np.zeros((64, 128), bool)
    m[:8] = True
    n = store.add(stems[0], m) + store.add(stems[1], m)
    store.commit(1, _report(1, n, n, 10**6, 'region'))
    m2 = np.zeros((64, 128), bool)
    m2[-4:] = True
    n2 = store.add(stems[0], m2)
    store.commit(2, _report(2, n2, n + n2, 10**6, 'region'))
    return store


def _gt_seg(item):
    return item['data_samples'].gt_sem_seg.data[0].numpy()


def test_swapping_the_oracle_swaps_the_mask_labels(data, tmp_path):
    work = str(tmp_path / 'work')
    gt_ds = LabeledSubsetDataset(_cityscapes(data), work_dir=work)
    stems = gt_ds.stems
    store = _two_rounds(work, stems)
    const = LabeledSubsetDataset(
        _cityscapes(data),
        work_dir=work,
        oracle=dict(type='ConstantOracle', value=3))
    assert gt_ds.labeled_indices() == const.labeled_indices() == [0, 1]
    gt = GroundTruthOracle().bind(gt_ds.dataset).ground_truth(0)
    a, b = _gt_seg(gt_ds[0]), _gt_seg(const[0])
    bought = store.mask(stems[0], (64, 128))
    np.testing.assert_array_equal(a, np.where(bought, gt, 255))
    np.testing.assert_array_equal(b, np.where(bought, 3, 255))
    # the pipeline never loads the dataset's annotations any more
    names = [type(t).__name__ for t in const.dataset.pipeline.transforms]
    assert 'LoadAnnotations' not in names and 'LoadBoughtLabels' in names
    for p in glob.glob(osp.join(data, 'cityscapes', 'gtFine', '*', '*', '*')):
        os.remove(p)
    np.testing.assert_array_equal(_gt_seg(const[0]), b)
    with pytest.raises(FileNotFoundError, match='could not read the label'):
        gt_ds.oracle._cache.clear()
        gt_ds[0]
    store.close()


class _Toy:
    """An image-list-like dataset with labels 0, 1, 2, 0, ..."""

    def __init__(self, n=6):
        from mmengine.dataset import BaseDataset

        class Toy(BaseDataset):
            METAINFO = dict(classes=('a', 'b', 'c', 'd'))

            def load_data_list(self):
                return [
                    dict(img_path=f'/x/img{i}.jpg', gt_label=i % 3)
                    for i in range(n)
                ]

        self.cls = Toy

    def build(self):
        return self.cls(pipeline=[], serialize_data=False)


def test_swapping_the_oracle_swaps_image_labels_and_anchors(tmp_path):
    work = str(tmp_path)
    store = ImageLabelStore(work, dict(a=1))
    store.add([1, 4])
    store.commit(1, _report(1, 2, 2, 6, 'image'))
    toy = _Toy()
    gt = LabeledSubsetDataset(toy.build(), work_dir=work)
    const = LabeledSubsetDataset(
        toy.build(), work_dir=work, oracle=dict(type='ConstantOracle'))
    assert [gt[j]['gt_label'] for j in range(2)] == [1, 1]
    assert [const[j]['gt_label'] for j in range(2)] == [3, 3]
    # LADA's anchors: the bought images with the oracle's labels
    paa = PAADataset(
        source=toy.build(), target=const, proposal_pipeline=[], mode='raa')
    ids, labels = paa.bought(1)
    assert ids.tolist() == [1, 4] and labels.tolist() == [3, 3]
    paa_gt = PAADataset(
        source=toy.build(), target=gt, proposal_pipeline=[], mode='raa')
    assert paa_gt.bought(1)[1].tolist() == [1, 1]
    store.close()


def test_swapping_the_oracle_swaps_online_labels(data, tmp_path):
    from mmengine.structures import PixelData
    from mmseg.registry import DATASETS
    from mmseg.structures import SegDataSample
    ds = DATASETS.build(_cityscapes(data, pipeline=[]))
    stem = (lambda p: osp.basename(p)[:-len(SUFFIX)])
    items = [
        PoolItem(i, stem(ds.get_data_info(i)['img_path']), (64, 128),
                 ds.get_data_info(i)['img_path']) for i in range(len(ds))
    ]
    sample = SegDataSample(
        metainfo=dict(img_path=ds.get_data_info(0)['img_path']))
    idx = torch.arange(64 * 128).reshape(1, 64, 128)
    sample.gt_pixel_index = PixelData(data=idx.clone())
    want = torch.zeros(64, 128, dtype=torch.bool)
    want[5, 7] = want[30, 90] = True
    out = {}
    for name, oracle in (('gt', GroundTruthOracle()), ('const',
                                                       ConstantOracle(3))):
        store = MaskLabelStore(str(tmp_path / name), dict(a=1))
        acq = OnlineAcquisition(store, oracle.bind(ds), items, 100, stem)
        acq.open(0)
        out[name] = acq.buy([sample], [want])[0]
        store.close()
    gt = GroundTruthOracle().bind(ds).ground_truth(0)
    assert out['gt'][5, 7] == gt[5, 7] and out['gt'][30, 90] == gt[30, 90]
    assert out['const'][want].tolist() == [3, 3]
    assert (out['const'][~want] == 255).all()


def test_human_oracle_answers_only_from_pinned_imports(data, tmp_path):
    work = str(tmp_path / 'work')
    ds = LabeledSubsetDataset(
        _cityscapes(data), work_dir=work, oracle=dict(type='HumanOracle'))
    store = _two_rounds(work, ds.stems)
    s0, s1 = ds.stems[0], ds.stems[1]
    # what the person answered: round 1 labels 5 (image 0) and 6 (image 1)
    # with one row left unlabelled; round 2 labels 7
    lab = np.full((64, 128), 255, np.uint8)
    lab[:7] = 5
    lab1 = np.where(store.round_map(s1, (64, 128)) == 1, 6,
                    255).astype(np.uint8)
    write_answers(
        work, RoundAnswers(1, 'mask', masks={
            s0: lab,
            s1: lab1
        }, answered=1), __file__, 'png')
    with pytest.raises(
            LabelsNotImported,
            match=r'round 1 of .* has no imported labels in '
            'training yet: import them with `python tools/'
            r'annotate.py import .* --round 1 PATH'):
        ds[0]  # imported, but not taken into training by the run
    pin_answers(store, 1, iteration=0)
    store.set_cursor(1)
    for p in glob.glob(osp.join(data, 'cityscapes', 'gtFine', '*', '*', '*')):
        os.remove(p)  # never read
    got = _gt_seg(ds[0])
    np.testing.assert_array_equal(got[:7], 5)
    assert (got[7:] == 255).all()  # unanswered row and unbought pixels
    assert (_gt_seg(ds[1])[:8] == 6).all()
    # round 2 is visible once the cursor reaches it: not pinned -> refused
    store.set_cursor(2)
    with pytest.raises(LabelsNotImported, match='round 2'):
        ds[0]
    write_answers(
        work,
        RoundAnswers(
            2, 'mask', masks={s0: np.full((64, 128), 7, np.uint8)},
            answered=1), __file__, 'png')
    pin_answers(store, 2, iteration=10)
    got = _gt_seg(ds[0])
    # each pixel answers with the round that bought it
    np.testing.assert_array_equal(got[:7], 5)
    np.testing.assert_array_equal(got[-4:], 7)
    assert (got[7:-4] == 255).all()
    store.close()


def test_human_oracle_classification(cls_run):
    toy = _Toy()
    ds = LabeledSubsetDataset(
        toy.build(), work_dir=cls_run.work, oracle=dict(type='HumanOracle'))
    with pytest.raises(LabelsNotImported, match='round 1'):
        len(ds)
    from mmseg_ada.testing.annotator import ScriptedAnnotator
    path = ScriptedAnnotator(
        cls_run.truth, skip=3).edit_list(cls_run.requests[1],
                                         str(cls_run.work) + '.txt')
    import_round(cls_run.work, 1, path, 'list')
    pin_answers(cls_run.store, 1, iteration=0)
    # the image left unanswered (4) is not trained on
    assert ds.labeled_indices() == [1, 3]
    assert [ds[j]['gt_label'] for j in range(2)] == [3, 1]


def test_human_oracle_settings_are_checked():
    with pytest.raises(ValueError, match=r"unknown export formats \['xls'\]"):
        HumanOracle(formats=['xls'])
    with pytest.raises(ValueError, match="wait has unknown keys"):
        HumanOracle(wait=dict(poll=3))
    with pytest.raises(ValueError, match='do not apply to a mask store'):
        HumanOracle(formats=['list']).export_formats('mask')
    assert HumanOracle().export_formats('image') == ('labelstudio', 'cvat',
                                                     'list')
    assert not HumanOracle.online and HumanOracle.requests
