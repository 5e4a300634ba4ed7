"""Inputs for any method: labelled subsets (masks or image ids), unlabelled
streams, multi-stream items seeded by position, the round sampler, the
ground-truth oracle."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import BaseDataset

import mmseg_ada  # noqa: F401
from mmseg_ada.active.oracles import GroundTruthOracle
from mmseg_ada.active.stores import ImageLabelStore
from mmseg_ada.datasets import (LabeledSubsetDataset, MultiStreamDataset,
                                RoundInfiniteSampler, UnlabeledDataset,
                                multi_stream_collate)
from mmseg_ada.utils.seeding import SeededIndex, derive_seed


@pytest.fixture(autouse=True)
def _mmseg_scope():
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)


class _Toy(BaseDataset):
    """Image-list-like items with a label; the 'pipeline' draws noise."""

    METAINFO = dict(classes=('a', 'b', 'c'))

    def __init__(self, n=6, **kwargs):
        self.n = n
        super().__init__(pipeline=[self._draw], serialize_data=False, **kwargs)

    @staticmethod
    def _draw(info):
        info['noise'] = float(np.random.random())
        info['tnoise'] = float(torch.rand(()))
        return info

    def load_data_list(self):
        return [
            dict(img_path=f'/x/img{i}.jpg', gt_label=i % 3)
            for i in range(self.n)
        ]


def _cityscapes(root, with_ann=True):
    from mmseg.registry import DATASETS
    pipeline = [dict(type='LoadImageFromFile')]
    if with_ann:
        pipeline.append(dict(type='LoadAnnotations'))
    pipeline.append(dict(type='PackSegInputs'))
    return DATASETS.build(
        dict(
            type='CityscapesDataset',
            data_root=osp.join(root, 'cityscapes'),
            data_prefix=dict(
                img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
            pipeline=pipeline))


def test_image_mode_labelled_subset_follows_the_store(tmp_path):
    work = str(tmp_path)
    ds = LabeledSubsetDataset(_Toy(), work_dir=work)
    assert ds.mode == 'image' and len(ds) == 0
    store = ImageLabelStore(work, dict(a=1))
    store.add([4, 1])
    store.commit(
        1,
        dict(
            round=1,
            strategy='x',
            unit='image',
            budget=2,
            spent=2,
            labeled=2,
            total=6,
            labeled_fraction=2 / 6))
    assert len(ds) == 2 and ds.labeled_indices() == [1, 4]
    assert [ds[i]['gt_label'] for i in range(2)] == [1, 1]
    assert ds[0]['image_index'] == 1
    store.set_cursor(0)
    assert len(ds) == 0
    store.close()


def test_unlabeled_stream_carries_no_label(synthetic_da):
    un = UnlabeledDataset(_Toy())
    item = un[2]
    assert 'gt_label' not in item and item['image_index'] == 2
    seg = UnlabeledDataset(
        dict(
            type='CityscapesDataset',
            data_root=osp.join(synthetic_da, 'cityscapes'),
            data_prefix=dict(
                img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations'),
                dict(type='PackSegInputs')
            ]))
    sample = seg[0]['data_samples']
    assert 'gt_sem_seg' not in sample
    # the wrapped dataset still knows the label file (for the oracle)
    assert seg.dataset.get_data_info(0)['seg_map_path']


def test_multi_stream_items_are_a_function_of_the_seed():
    ms = MultiStreamDataset(
        dict(
            source=_Toy(8), target=_Toy(5),
            empty=LabeledSubsetDataset(_Toy())))
    a = ms[SeededIndex(3, seed=11)]
    b = ms[SeededIndex(3, seed=11)]
    c = ms[SeededIndex(3, seed=12)]
    assert set(a) == {'source', 'target'}  # the empty stream is left out
    assert a['source']['img_path'] == '/x/img3.jpg'
    assert a == b  # same draws, same augmentation noise (numpy and torch)
    assert (a['target']['img_path'],
            a['source']['noise']) != (c['target']['img_path'],
                                      c['source']['noise'])
    batch = multi_stream_collate([a, c])
    assert set(batch) == {'source', 'target'}
    assert len(batch['source']['img_path']) == 2
    with pytest.raises(ValueError, match='primary'):
        MultiStreamDataset(dict(source=_Toy()), primary='target')


def test_round_sampler_restarts_per_round_and_skips_exactly():
    ds = _Toy(10)
    s = RoundInfiniteSampler(ds, shuffle=True, seed=5)
    s.set_round(1)
    it = iter(s)
    first = [next(it) for _ in range(25)]
    assert all(isinstance(i, SeededIndex) for i in first)
    assert sorted(int(i) for i in first[:10]) == list(range(10))
    # the seed of a position is (seed, round, position)
    assert [i.seed
            for i in first[:3]] == [derive_seed(5, 1, p) for p in range(3)]
    # restarting at position 7 continues the same stream
    s.set_round(1, start=7)
    it = iter(s)
    rest = [next(it) for _ in range(18)]
    assert [(int(i), i.seed) for i in rest] == [(int(i), i.seed)
                                                for i in first[7:]]
    # another round, another order
    s.set_round(2)
    it = iter(s)
    other = [int(next(it)) for _ in range(10)]
    assert other != [int(i) for i in first[:10]]
    # a pickled index keeps its seed (it travels to dataloader workers)
    import pickle
    j = pickle.loads(pickle.dumps(first[0]))
    assert isinstance(j, SeededIndex) and j.seed == first[0].seed


def test_ground_truth_oracle(synthetic_da):
    ds = _cityscapes(synthetic_da)
    oracle = GroundTruthOracle(cache_size=1).bind(ds)
    gt = oracle.ground_truth(0)
    import cv2
    raw = cv2.imread(ds.get_data_info(0)['seg_map_path'], cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(gt, raw)
    np.testing.assert_array_equal(
        oracle.pixel_labels(0, [0, 5, 130]),
        raw.reshape(-1)[[0, 5, 130]])
    with pytest.raises(IndexError, match='outside'):
        oracle.pixel_labels(0, [raw.size])
    mask = np.zeros(raw.shape, bool)
    mask[:5] = True
    hist = oracle.class_histogram(0, 19, mask)
    vals = raw[mask]
    assert hist.sum() == int((vals < 19).sum())
    assert hist.tolist() == np.bincount(vals[vals < 19], minlength=19).tolist()
    toy = GroundTruthOracle().bind(_Toy())
    assert toy.image_label(4) == 1
    assert toy.class_histogram(4, 3).tolist() == [0, 1, 0]
    with pytest.raises(FileNotFoundError, match='no seg_map_path'):
        toy.ground_truth(0)
    with pytest.raises(RuntimeError, match='not bound'):
        GroundTruthOracle().image_label(0)
