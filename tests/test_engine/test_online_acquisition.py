"""Online acquisition: pixels bought inside training steps (ADA-MCU's path).

Budget never exceeded, purchases persisted and replayed (never re-bought)
after a kill and a resume from an older checkpoint, labels only where
bought, and two ranks agreeing on every purchase.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from mmseg_ada.active.oracles import GroundTruthOracle
from mmseg_ada.active.stores import BaseLabelStore, MaskLabelStore
from mmseg_ada.active.units import PoolItem
from mmseg_ada.engine.online_acquisition import OnlineAcquisition
from tests.utils import REPO


def _dataset(root):
    from mmseg.registry import DATASETS
    from mmseg.utils import register_all_modules

    import mmseg_ada  # noqa: F401
    register_all_modules(init_default_scope=False)
    return DATASETS.build(
        dict(
            type='CityscapesDataset',
            data_root=osp.join(root, 'cityscapes'),
            data_prefix=dict(
                img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
            pipeline=[]))


def _stem(path):
    return osp.basename(path)[:-len('_leftImg8bit.png')]


def _items(ds):
    return [
        PoolItem(i, _stem(ds.get_data_info(i)['img_path']), (64, 128),
                 ds.get_data_info(i)['img_path']) for i in range(len(ds))
    ]


def _sample(ds, i, flip=False):
    """A 'crop' of image i: its left half, optionally flipped."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    idx = torch.arange(64 * 128).reshape(64, 128)[:, :64]
    if flip:
        idx = idx.flip(1)
    s = SegDataSample(metainfo=dict(img_path=ds.get_data_info(i)['img_path']))
    s.gt_pixel_index = PixelData(data=idx[None].clone())
    return s, idx


def _acq(work, ds, total, start=0, readonly=False):
    store = MaskLabelStore(
        work, fingerprint=None if readonly else dict(a=1), readonly=readonly)
    acq = OnlineAcquisition(store,
                            GroundTruthOracle().bind(ds), _items(ds), total,
                            _stem)
    acq.open(start)
    return acq


def _gt(ds, i):
    return GroundTruthOracle().bind(ds).ground_truth(i)


def test_buy_labels_budget_and_oracle_discipline(tmp_path, synthetic_da):
    ds = _dataset(synthetic_da)
    acq = _acq(str(tmp_path), ds, total=100)
    s0, idx0 = _sample(ds, 0)
    s1, idx1 = _sample(ds, 1, flip=True)
    # nothing bought yet: all 255
    assert all((lab == 255).all() for lab in acq.labels([s0, s1]))
    m0 = torch.zeros(64, 64, dtype=torch.bool)
    m0[:2, :30] = True  # 60 crop pixels
    m1 = torch.zeros(64, 64, dtype=torch.bool)
    m1[10, :50] = True  # 50 crop pixels, but only 40 are left
    acq.iteration = 0
    lab0, lab1 = acq.buy([s0, s1], [m0, m1])
    assert acq.spent == 100 == acq.total and acq.remaining == 0
    gt0, gt1 = _gt(ds, 0).reshape(-1), _gt(ds, 1).reshape(-1)
    np.testing.assert_array_equal(lab0[m0].numpy(), gt0[idx0[m0].numpy()])
    assert (lab0[~m0] == 255).all()
    bought1 = lab1 != 255
    assert int(bought1.sum()) <= 40  # cut at the budget
    np.testing.assert_array_equal(lab1[bought1].numpy(),
                                  gt1[idx1[bought1].numpy()])
    # the store holds exactly what was bought, as commit 1
    store = acq.store
    assert store.last_round() == 1 and store.labeled == 100
    assert int(store.mask(acq.items[1].stem, (64, 128)).sum()) == 40
    # nothing more can be bought, later labels stay
    acq.iteration = 1
    again = acq.buy([s0], [torch.ones(64, 64, dtype=torch.bool)])
    assert acq.spent == 100 and store.last_round() == 1
    np.testing.assert_array_equal(again[0].numpy(), lab0.numpy())
    # pixels seen through another crop map to the same original pixels
    s0f, idx0f = _sample(ds, 0, flip=True)
    lab0f = acq.labels([s0f])[0]
    assert int((lab0f != 255).sum()) == 60
    store.close()


def test_requests_of_bought_pixels_cost_nothing(tmp_path, synthetic_da):
    ds = _dataset(synthetic_da)
    acq = _acq(str(tmp_path), ds, total=1000)
    s0, _ = _sample(ds, 0)
    m = torch.zeros(64, 64, dtype=torch.bool)
    m[:3] = True
    acq.iteration = 0
    acq.buy([s0], [m])
    acq.iteration = 1
    acq.buy([s0], [m])  # the same pixels again
    assert acq.spent == 3 * 64 and acq.store.last_round() == 1
    acq.store.close()


def test_kill_and_resume_neither_loses_nor_rebuys(tmp_path, synthetic_da):
    """Purchases of iterations 0..4 are in the store; a resume from the
    checkpoint of iteration 2 replays those of 2..4 (logged, not bought
    again), shows training only what it had seen, then buys anew."""
    ds = _dataset(synthetic_da)
    work = str(tmp_path)
    acq = _acq(work, ds, total=10**6)
    samples = [_sample(ds, i % len(ds))[0] for i in range(5)]
    masks = []
    for t in range(5):
        m = torch.zeros(64, 64, dtype=torch.bool)
        m[t * 4:(t + 1) * 4, t:t + 20] = True
        masks.append(m)
        acq.iteration = t
        acq.buy([samples[t]], [m])
    spent_before_2 = sum(int(m.sum()) for m in masks[:2])
    total_spent = acq.spent
    acq.store.close()  # the killed run's lock goes with it

    res = _acq(work, ds, total=10**6, start=2)
    assert res.spent == spent_before_2
    # at iteration 2 training sees commits of iterations 0 and 1 only
    res.iteration = 2
    seen = res.labels([samples[0]])[0]
    assert int((seen != 255).sum()) == int(masks[0].sum())
    # the replayed purchase is the logged one, whatever is requested now
    other = torch.zeros(64, 64, dtype=torch.bool)
    other[50:] = True
    got = res.buy([samples[2]], [other])[0]
    assert res.store.last_round() == 5  # nothing new committed
    assert int((got != 255).sum()) == int(masks[2].sum())
    for t in (3, 4):
        res.iteration = t
        res.buy([samples[t]], [other])
    assert res.spent == total_spent and res.store.last_round() == 5
    # iteration 5 is new: it buys and commits
    res.iteration = 5
    res.buy([samples[0]], [other])
    assert res.store.last_round() == 6
    assert res.spent == total_spent + int(other.sum())
    log = [json.loads(ln) for ln in open(res.log_path)]
    assert [r['iteration'] for r in log] == [0, 1, 2, 3, 4, 5]
    res.store.close()


def test_crash_between_log_and_commit_is_rolled_back(tmp_path, synthetic_da,
                                                     monkeypatch):
    ds = _dataset(synthetic_da)
    work = str(tmp_path)
    acq = _acq(work, ds, total=10**6)
    s0, _ = _sample(ds, 0)
    m = torch.zeros(64, 64, dtype=torch.bool)
    m[:2] = True
    acq.iteration = 0
    acq.buy([s0], [m])

    def crash(step):
        if step == 'round_json_written':
            raise KeyboardInterrupt(step)

    monkeypatch.setattr(BaseLabelStore, '_commit_hook', staticmethod(crash))
    m2 = torch.zeros(64, 64, dtype=torch.bool)
    m2[5:7] = True
    acq.iteration = 1
    with pytest.raises(KeyboardInterrupt):
        acq.buy([s0], [m2])
    monkeypatch.setattr(BaseLabelStore, '_commit_hook', None)
    acq.store.close()
    res = _acq(work, ds, total=10**6, start=1)
    assert res.store.last_round() == 1 and res.spent == 128
    assert len(open(res.log_path).read().splitlines()) == 1
    assert int(res.store.mask(res.items[0].stem, (64, 128)).sum()) == 128
    res.iteration = 1
    res.buy([s0], [m2])  # redone once, spent once
    assert res.spent == 256 and res.store.last_round() == 2
    res.store.close()


_TWO_RANKS = textwrap.dedent('''
    import json, os, sys
    import torch
    import torch.distributed as dist
    sys.path.insert(0, {repo!r})
    from tests.test_engine.test_online_acquisition import (_acq, _dataset,
                                                           _sample)

    def main(rank, root, work, out):
        os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT='29631')
        dist.init_process_group('gloo', rank=rank, world_size=2)
        ds = _dataset(root)
        if rank == 0:
            acq = _acq(work, ds, total=300)
        dist.barrier()
        if rank != 0:
            acq = _acq(work, ds, total=300, readonly=True)
        got = []
        for t in range(3):
            s, _ = _sample(ds, 2 * t + rank)
            m = torch.zeros(64, 64, dtype=torch.bool)
            m[rank * 8:rank * 8 + 2, :60] = True
            acq.iteration = t
            lab = acq.buy([s], [m])[0]
            got.append(int((lab != 255).sum()))
        json.dump(dict(spent=acq.spent, got=got),
                  open(f'{{out}}_{{rank}}.json', 'w'))
        # a gloo process left to the interpreter's teardown may abort
        from mmseg_ada.utils import end_process
        end_process(0)

    if __name__ == '__main__':
        torch.multiprocessing.spawn(main, args=tuple(sys.argv[1:4]),
                                    nprocs=2)
''')


@pytest.mark.slow
def test_two_ranks_agree_and_share_one_budget(tmp_path, synthetic_da):
    script = tmp_path / 'two_ranks.py'
    script.write_text(_TWO_RANKS.format(repo=REPO))
    work, out = str(tmp_path / 'w'), str(tmp_path / 'out')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    res = subprocess.run(
        [sys.executable, str(script), synthetic_da, work, out],
        env=env,
        capture_output=True,
        text=True,
        timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    r0 = json.load(open(out + '_0.json'))
    r1 = json.load(open(out + '_1.json'))
    assert r0['spent'] == r1['spent'] == 300  # one budget for both ranks
    # each iteration both ranks ask for 120 pixels: 240, then 60 are left
    assert r0['got'][:1] == [120] and r1['got'][:1] == [120]
    assert r0['got'][1] + r1['got'][1] == 60
    log = [
        json.loads(ln)
        for ln in open(osp.join(work, 'active', 'online.jsonl'))
    ]
    assert [r['spent'] for r in log] == [240, 60]
