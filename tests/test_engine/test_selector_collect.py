"""The selector pools each image in a worker thread beside the forward pass
of the next one: the pool must be the one a plain loop gives."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from mmseg_ada.active.pool import UnitPool
from mmseg_ada.active.units import PoolItem
from mmseg_ada.engine.selector import ActiveSelector, _Timer


class _Model(torch.nn.Module):
    """Fixed per-image softmax maps; fails on ``fail_at`` if set."""

    def __init__(self, probs, fail_at=None):
        super().__init__()
        self.probs = probs
        self.fail_at = fail_at

    def data_preprocessor(self, batch, training):
        return batch

    def predict_active(self, inputs, samples, requires):
        idx = [int(s.metainfo['img_path'][3:-4]) for s in samples]
        if self.fail_at in idx:
            raise RuntimeError('forward failed')
        return dict(prob=torch.stack([self.probs[i] for i in idx]))


def _setup(strategy, n=5, fail_at=None):
    gen = torch.Generator().manual_seed(0)
    probs = [torch.rand(4, 6, 8, generator=gen).softmax(0) for _ in range(n)]
    items = [PoolItem(i, f's{i}', (12, 16), f'im_{i}.png') for i in range(n)]
    sel = ActiveSelector(
        strategy=strategy,
        units=dict(type='PixelUnits'),
        pool_dataloader=dict(dataset=dict(pipeline=[])),
        draw=False)
    sel.runner = SimpleNamespace(model=_Model(probs, fail_at))
    sel.units.setup(items)
    batches = [
        dict(
            inputs=None,
            data_samples=[
                SimpleNamespace(metainfo=dict(img_path=it.img_path))
                for it in items[b:b + 2]
            ]) for b in range(0, n, 2)
    ]
    return sel, items, probs, batches


@pytest.mark.parametrize('strategy', [
    dict(type='Entropy'),
    dict(type='Random', seed=3),
])
def test_threaded_collect_equals_a_plain_loop(strategy):
    sel, items, probs, batches = _setup(strategy)
    budget = 40
    timer = _Timer()
    got = sel.collect(batches, sel.units, items, lambda p: p, None, 1, budget,
                      'test', timer)
    want = UnitPool.cat([
        sel.units.collect(it, dict(prob=p), None, sel.strategy, 1, budget)
        for it, p in zip(items, probs)
    ])
    for name in ('image_index', 'unit_id', 'cost'):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    assert set(got.stats) == set(want.stats)
    for k in want.stats:
        np.testing.assert_array_equal(got.stats[k], want.stats[k])
    np.testing.assert_array_equal(got.extras['pred_class'],
                                  want.extras['pred_class'])
    assert {'load', 'forward', 'pool', 'pool_wait'} <= set(timer.seconds)


def test_threaded_collect_passes_errors_on():
    sel, items, _, batches = _setup(dict(type='Entropy'), fail_at=3)
    with pytest.raises(RuntimeError, match='forward failed'):
        sel.collect(batches, sel.units, items, lambda p: p, None, 1, 40,
                    'test', _Timer())

    def broken(*args, **kwargs):
        raise ValueError('pooling failed')

    sel, items, _, batches = _setup(dict(type='Entropy'))
    sel.units.collect = broken
    with pytest.raises(ValueError, match='pooling failed'):
        sel.collect(batches, sel.units, items, lambda p: p, None, 1, 40,
                    'test', _Timer())
