"""LADA's progressive anchor-set augmentation (Sec. 3.2, Alg. 1-2, Eq. 4).

Unit level: the class-balancing rejection (Eq. 4) against its formula,
Alg. 2's acceptance rules, the anchor set's generations and passes, its
checkpoint round trip.  End to end (a tiny classifier on miniature
Office-31-like lists, ActiveLoop + PAADataset + PAAHook, in process): the
anchor set never uses a target label that was not bought (poisoning those
labels leaves training bit-identical, poisoning bought ones does not), and
training is the same with 0 or 2 persistent workers and after a resume in
the middle of an epoch.
"""
import os
import os.path as osp
import shutil
import time

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmseg_ada.active.functional.lada import (accept_proposals,
                                              rejection_probabilities)
from mmseg_ada.active.schedule import RoundSchedule
from mmseg_ada.datasets.anchor_set import AnchorSet, NotReady
from mmseg_ada.datasets.office31 import OFFICE31_CLASSES
from tests.cls_fixtures import make_domain

pytestmark = pytest.mark.usefixtures('frozen_gc', 'one_thread')


# ------------------------------------------------------------------ Eq. 4
def test_rejection_probabilities_eq4_against_shares():
    """q_A[c] = (p_A[c] - p_min) / p_max with p_A the class shares."""
    counts = np.array([4, 0, 2, 1, 4])
    p = counts / counts.sum()
    expect = (p - p.min()) / p.max()
    np.testing.assert_allclose(rejection_probabilities(counts), expect)
    # the most frequent class is rejected surely when a class is absent,
    # the rarest always accepted
    assert rejection_probabilities(counts)[[0, 1]].tolist() == [1.0, 0.0]
    # the code's add-one smoothing: (n_c - n_min) / (n_max + 1)
    np.testing.assert_allclose(
        rejection_probabilities(counts, True), (counts - 0) / 5)
    assert rejection_probabilities([0, 0, 0]).tolist() == [0, 0, 0]
    np.testing.assert_allclose(rejection_probabilities([3, 3]), [0, 0])
    with pytest.raises(ValueError):
        rejection_probabilities([1, -1])


def test_accept_proposals_alg2():
    """Confidence >= tau, xi >= q_A[y] (Eq. 4), not in A u S yet."""
    member = np.zeros(10, bool)
    member[[0, 1]] = True  # A = {0, 1}
    counts = np.array([2, 0, 0])  # both of class 0 -> q = [1, 0, 0]
    pending = np.zeros(3, np.int64)
    acc = accept_proposals(
        ids=[0, 2, 3, 4, 4, 5],
        labels=[1, 0, 1, 2, 2, 1],
        conf=[0.99, 0.99, 0.5, 0.95, 0.95, 0.9],
        xi=[0.5] * 6,
        member=member,
        counts=counts,
        pending_counts=pending)
    # 0 in A; 2 is class 0 (q = 1 > xi); 3 not confident; 4 accepted once
    # (the duplicate is in S); 5 at the threshold
    assert acc == [3, 5]
    assert member[[4, 5]].all() and pending.tolist() == [0, 1, 1]
    # counting S (the code): q changes as S grows
    member = np.zeros(10, bool)
    pending = np.zeros(2, np.int64)
    acc = accept_proposals([1, 2, 3], [0, 0, 1], [1.0] * 3, [0.3] * 3,
                           member,
                           np.array([1, 1]),
                           pending,
                           count_pending=True)
    # after accepting image 1 (class 0): counts 2:1 -> q0 = 0.5 > 0.3
    assert acc == [0, 2]
    member = np.zeros(10, bool)
    acc = accept_proposals([1, 2, 3], [0, 0, 1], [1.0] * 3, [0.3] * 3, member,
                           np.array([1, 1]), np.zeros(2, np.int64))
    assert acc == [0, 1, 2]  # "current A" only: q stays 0


# ---------------------------------------------------------- anchor set
def _armed(n=10, k=0, batch=2, epoch=10):
    aset = AnchorSet(n, num_classes=3, k=k)
    aset.arm(batch, epoch, seed=3, schedule=RoundSchedule([0], 2**62))
    aset.set_base(np.array([7, 8, 9]), np.array([0, 1, 2]))
    aset.begin_epoch(0, 0)
    return aset


def test_generations_grow_after_each_pass():
    """|A| = 3, global batch 2: passes of 2 iterations; S joins A at the
    end of a pass, and a sample of a later iteration waits for it."""
    aset = _armed()
    base = np.array([7, 8, 9])
    assert aset.anchors_at(0, base, False) == (0, 0, 3, 0, 0)
    assert aset.anchors_at(1, base, False) == (0, 0, 3, 0, 1)
    with pytest.raises(NotReady):
        aset.anchors_at(2, base, False)  # decided by iteration 1
    out = aset.process_step(0, [1, 2], [0, 1], [0.95, 0.95], [0.9, 0.9])
    assert out == dict(accepted=2, pending=2, anchors=3, merged=0)
    with pytest.raises(NotReady):
        aset.anchors_at(2, base, False)
    out = aset.process_step(1, [3], [2], [0.99], [0.0])
    assert out == dict(accepted=1, pending=0, anchors=6, merged=1)
    assert aset.anchors_at(2, base, False) == (0, 1, 6, 0, 0)
    ids, labels = aset.additions(3)
    assert ids.tolist() == [1, 2, 3] and labels.tolist() == [0, 1, 2]
    # passes of 3 iterations now; an empty S makes no new generation
    for t in (2, 3, 4):
        aset.process_step(t, [], [], [], [])
    assert aset.anchors_at(5, base, False) == (0, 1, 6, 1, 0)
    with pytest.raises(RuntimeError, match='in order'):
        aset.process_step(7, [], [], [], [])
    # the epoch start resets A to D_tl
    aset.begin_epoch(1, 10)
    assert aset.anchors_at(10, base, False) == (1, 0, 3, 0, 0)
    # a sample of the next epoch does not wait for the epoch start but
    # for its neighbours (LAA)
    with pytest.raises(NotReady, match='neighbours'):
        aset.anchors_at(21, base, True)
    # an empty anchor set has no anchors and never waits
    assert aset.anchors_at(15, np.zeros(0, np.int64), False)[2] == 0


def test_anchor_set_state_round_trip_is_exact():
    aset = _armed(k=2)
    aset.begin_epoch(0, 0, nbr=np.arange(20).reshape(10, 2) % 10)
    aset.process_step(0, [1, 2], [0, 1], [0.95, 0.95], [0.9, 0.9])
    aset.process_step(1, [3], [2], [0.99], [0.0])
    aset.process_step(2, [4], [1], [0.99], [0.99])  # pending in S
    state = aset.state_dict()
    other = AnchorSet(10, num_classes=3, k=2)
    other.arm(2, 10, seed=3, schedule=RoundSchedule([0], 2**62))
    other.set_base(np.array([7, 8, 9]), np.array([0, 1, 2]))
    other.load_state_dict(state)
    again = other.state_dict()
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, again[key])
        else:
            assert value == again[key], key
    base = np.array([7, 8, 9])
    for t in (2, 3, 4):
        assert other.anchors_at(t, base,
                                True) == aset.anchors_at(t, base, True)
    np.testing.assert_array_equal(other.neighbours(3), [6, 7])
    np.testing.assert_array_equal(
        other.permutation(0, 1, 0, 6), aset.permutation(0, 1, 0, 6))
    # both continue identically
    a = aset.process_step(3, [5], [0], [0.99], [0.99])
    b = other.process_step(3, [5], [0], [0.99], [0.99])
    assert a == b and aset.additions(5)[0].tolist() == other.additions(
        5)[0].tolist()
    with pytest.raises(ValueError, match='target images'):
        AnchorSet(11, 3, 2).load_state_dict(state)


def test_digest_tells_anchor_sets_apart_and_ranks_are_checked():
    """Ranks compare digests every step: equal states (restored or grown
    alike) digest alike; one more proposal in S, or another label, not."""
    from mmseg_ada.engine.hooks.paa_hook import check_ranks_agree
    a, b = _armed(k=2), _armed(k=2)
    for aset in (a, b):
        aset.process_step(0, [1, 2], [0, 1], [0.95, 0.95], [0.9, 0.9])
    assert a.digest() == b.digest()
    restored = AnchorSet(10, num_classes=3, k=2)
    restored.load_state_dict(a.state_dict())
    assert restored.digest() == a.digest()
    a.process_step(1, [3], [2], [0.99], [0.0])
    b.process_step(1, [3], [1], [0.99], [0.0])  # another pseudo-label
    assert a.digest() != b.digest()
    c = _armed(k=2)
    c.process_step(0, [1], [0], [0.95], [0.9])  # S = {1}, not {1, 2}
    d = _armed(k=2)
    d.process_step(0, [1, 2], [0, 1], [0.95, 0.95], [0.9, 0.9])
    assert c.digest() != d.digest()
    check_ranks_agree([a.digest()] * 3, 4)
    with pytest.raises(RuntimeError, match=r'iteration 4 .*rank\(s\) \[2\]'):
        check_ranks_agree([a.digest(), a.digest(), b.digest()], 4)


# ------------------------------------------------------------ end to end
CLASSES = (0, 1, 2, 3)


@pytest.fixture(scope='module')
def lists(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('paa_data'))
    make_domain(
        root,
        'amazon/images/{cls}/{cls}_{i:04d}',
        'image_list/amazon.txt',
        OFFICE31_CLASSES,
        labels=CLASSES,
        per_class=5,
        seed=0)
    make_domain(
        root,
        'webcam/images/{cls}/{cls}_{i:04d}',
        'image_list/webcam.txt',
        OFFICE31_CLASSES,
        labels=CLASSES,
        per_class=6,
        seed=1)
    return root


def _cfg(root,
         work,
         target_list='image_list/webcam.txt',
         mode='laa',
         workers=0,
         resume=False,
         load_from=None):
    train_p = [
        dict(type='LoadImageFromFile'),
        dict(type='mmcv.Resize', scale=(20, 20), keep_ratio=False),
        dict(type='ClsRandomCrop', crop_size=16),
        dict(type='PackClsInputs')
    ]
    test_p = [
        dict(type='LoadImageFromFile'),
        dict(type='mmcv.Resize', scale=(16, 16), keep_ratio=False),
        dict(type='PackClsInputs')
    ]
    anchor_p = [
        dict(type='LoadImageFromFile'),
        dict(
            type='MixWeakStrong',
            weak=train_p[1:3],
            strong=[
                dict(type='RandAugment', num_ops=1, magnitude=2.0),
                dict(type='mmcv.Resize', scale=(20, 1000), keep_ratio=True),
                dict(type='mmcv.RandomFlip', prob=0.5),
                dict(type='ClsRandomCrop', crop_size=16)
            ]),
        dict(type='PackClsInputs')
    ]
    src = dict(
        type='Office31Dataset',
        data_root=root,
        ann_file='image_list/amazon.txt',
        pipeline=train_p)
    # poisoned lists contradict the class folders: no folder check
    tgt = dict(
        type='Office31Dataset',
        data_root=root,
        ann_file=target_list,
        pipeline=anchor_p,
        check_class_names=False)
    tgt_test = dict(tgt, pipeline=test_p, test_mode=True)
    loader = dict(
        batch_size=4,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False))
    return Config(
        dict(
            default_scope='mmseg',
            work_dir=work,
            experiment_name=f'{osp.basename(work)}_{time.time_ns()}',
            randomness=dict(seed=0),
            log_level='ERROR',
            env_cfg=dict(
                cudnn_benchmark=False,
                mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
                dist_cfg=dict(backend='gloo')),
            model=dict(
                type='ADAImageClassifier',
                data_preprocessor=dict(
                    type='MultiStreamClsDataPreProcessor',
                    mean=[123.675, 116.28, 103.53],
                    std=[58.395, 57.12, 57.375]),
                backbone=dict(
                    type='ResNet',
                    depth=18,
                    base_channels=8,
                    stem_channels=8,
                    out_indices=(3, ),
                    style='pytorch'),
                head=dict(
                    type='BottleneckClsHead',
                    num_classes=31,
                    in_channels=64,
                    bottleneck_channels=16)),
            optim_wrapper=dict(
                type='OptimWrapper',
                optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
            train_dataloader=dict(
                batch_size=4,
                num_workers=workers,
                persistent_workers=workers > 0,
                sampler=dict(type='PositionedRoundSampler', shuffle=True),
                collate_fn=dict(type='multi_stream_collate'),
                dataset=dict(
                    type='PAADataset',
                    source=src,
                    target=dict(type='LabeledSubsetDataset', dataset=tgt),
                    proposal_pipeline=train_p,
                    mode=mode,
                    k=3)),
            train_cfg=dict(
                type='ActiveLoop',
                max_epochs=4,
                num_rounds=2,
                round_epochs=[1, 2],
                budget=dict(total=0.25),
                selector=dict(
                    strategy=dict(type='Entropy', seed=0),
                    units=dict(type='ImageUnits'),
                    draw=False,
                    pool_dataloader=dict(loader, dataset=tgt_test))),
            val_dataloader=dict(loader, dataset=tgt_test),
            val_evaluator=dict(type='ClsAccuracyMetric'),
            val_cfg=dict(type='ValLoop'),
            default_hooks=dict(
                timer=dict(type='IterTimerHook'),
                logger=dict(type='LoggerHook', interval=50),
                checkpoint=dict(
                    type='CheckpointHook', by_epoch=False, interval=1)),
            custom_hooks=[
                # threshold 0: every proposal is judged by Eq. 4 alone, so the
                # set grows even with this untrained model
                dict(
                    type='PAAHook',
                    threshold=0.0,
                    bank_dataloader=dict(loader, dataset=tgt_test))
            ],
            log_processor=dict(by_epoch=False),
            resume=resume,
            load_from=load_from))


class Recorder:
    """Records what the anchor stream trained on."""

    def __init__(self):
        self.anchors = []

    def __call__(self, runner, batch_idx, data_batch=None, outputs=None):
        tgt = (data_batch or {}).get('target')
        if tgt:
            self.anchors += [(runner.iter, int(s.metainfo['image_index']),
                              s.metainfo['anchor'], int(s.gt_label))
                             for s in tgt['data_samples']]


def _train(cfg):
    runner = Runner.from_cfg(cfg)
    rec = Recorder()
    hook = [h for h in runner.hooks if type(h).__name__ == 'PAAHook'][0]
    orig = hook.before_train_iter
    hook.before_train_iter = lambda r, batch_idx, data_batch=None: (rec(
        r, batch_idx, data_batch), orig(r, batch_idx, data_batch))
    runner.train()
    state = {k: v.clone() for k, v in runner.model.state_dict().items()}
    it = getattr(runner.train_loop.dataloader_iterator, '_iterator', None)
    if hasattr(it, '_shutdown_workers'):  # persistent workers: stop now
        it._shutdown_workers()
    return state, rec.anchors, runner


def _same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _bought(work, upto=None):
    from mmseg_ada.active.stores import ImageLabelStore
    store = ImageLabelStore(work, readonly=True)
    return set(store.labeled_ids(upto=upto).tolist())


def _poison(root, name, ids):
    """A copy of the target list whose labels of ``ids`` are all wrong."""
    with open(osp.join(root, 'image_list/webcam.txt')) as f:
        lines = f.read().split()
    rows = list(zip(lines[::2], lines[1::2]))
    out = []
    for i, (path, label) in enumerate(rows):
        y = int(label)
        if i in ids:
            y = CLASSES[(CLASSES.index(y) + 1) % len(CLASSES)]
        out.append(f'{path} {y}')
    with open(osp.join(root, name), 'w') as f:
        f.write('\n'.join(out) + '\n')
    return name


@pytest.fixture(scope='module')
def clean_run(lists, tmp_path_factory, one_thread):
    work = str(tmp_path_factory.mktemp('paa_clean'))
    state, anchors, _ = _train(_cfg(lists, work))
    return work, state, anchors


@pytest.mark.slow
def test_anchors_use_bought_labels_only(lists, clean_run, tmp_path):
    """Oracle discipline: poisoning the labels of every image that was not
    bought changes nothing; poisoning bought labels changes training."""
    work, state, anchors = clean_run
    bought = _bought(work)
    assert len(bought) == 6  # 25 % of 24, two rounds
    kinds = {k for _, _, k, _ in anchors}
    assert kinds == {'bought', 'pseudo'}, 'the set never grew'
    # rounds start at iterations 5 and 10
    by_round = {1: _bought(work, upto=1), 2: bought}
    assert len(by_round[1]) == 3
    for t, i, kind, _ in anchors:
        assert (i in by_round[1 if t < 10 else 2]) == (kind == 'bought')
    unbought = set(range(24)) - bought
    cfg = _cfg(lists, str(tmp_path / 'poisoned'),
               _poison(lists, 'poison_unbought.txt', unbought))
    state_p, anchors_p, _ = _train(cfg)
    assert _bought(str(tmp_path / 'poisoned')) == bought
    assert anchors_p == anchors
    assert _same(state, state_p)
    cfg = _cfg(lists, str(tmp_path / 'control'),
               _poison(lists, 'poison_bought.txt', bought))
    state_c, _, _ = _train(cfg)
    assert not _same(state, state_c)


@pytest.mark.slow
def test_workers_and_resume_mid_epoch_are_exact(lists, clean_run, tmp_path):
    """2 persistent workers from a checkpoint inside an epoch (anchor set
    grown, preferably with S pending) end with the weights of the
    uninterrupted run."""
    work, state, anchors = clean_run
    saved = {}
    for it in range(1, 21):
        if it % 5:  # not an epoch start
            ckpt = torch.load(
                osp.join(work, f'iter_{it}.pth'), weights_only=False)
            saved[it] = ckpt['paa_anchor_set']
            assert saved[it]['published'] == it - 1
    grown = [it for it, s in saved.items() if len(s['add_ids'])]
    assert grown, 'no checkpoint inside an epoch with a grown anchor set'
    it = ([i for i in grown if saved[i]['pending_ids']] + grown)[0]
    work2 = str(tmp_path / 'resumed')
    os.makedirs(work2)
    shutil.copytree(osp.join(work, 'active'), osp.join(work2, 'active'))
    shutil.copy(osp.join(work, f'iter_{it}.pth'), work2)
    cfg = _cfg(
        lists,
        work2,
        workers=2,
        resume=True,
        load_from=osp.join(work2, f'iter_{it}.pth'))
    state_r, anchors_r, _ = _train(cfg)
    assert _same(state, state_r)
    assert anchors_r == [a for a in anchors if a[0] >= it]


def test_raa_proposals_come_from_the_whole_target(lists, tmp_path):
    state, anchors, runner = _train(
        _cfg(lists, str(tmp_path / 'raa'), mode='raa'))
    ds = runner.train_loop.dataloader.dataset
    assert ds.mode == 'raa' and ds.k == 0
    assert {k for _, _, k, _ in anchors} == {'bought', 'pseudo'}
