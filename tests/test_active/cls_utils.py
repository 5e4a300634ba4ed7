"""Helpers of the classification-strategy tests."""
import importlib

import numpy as np


def load(name):
    """``mmseg_ada.active.<name>`` (e.g. ``'strategies.badge'``)."""
    return importlib.import_module(f'mmseg_ada.active.{name}')


def image_pool(prob, feature=None, labelled=(), extras=None, stats=True):
    """An image :class:`UnitPool` (cost 1, 0 for ``labelled`` rows)."""
    UnitPool = load('pool').UnitPool
    prob = np.asarray(prob, dtype=np.float32)
    n = prob.shape[0]
    cost = np.ones(n, dtype=np.int64)
    cost[list(labelled)] = 0
    st = {}
    if stats:
        st = load('uncertainty').row_uncertainty(prob)
    return UnitPool(
        image_index=np.arange(n),
        unit_id=np.zeros(n),
        cost=cost,
        prob=prob,
        feature=feature,
        stats=st,
        extras=dict(extras or {}),
        kind='image')


def random_prob(rng, n, c, scale=3.0):
    """``[n, c]`` softmax of Gaussian logits (and the logits)."""
    z = rng.normal(size=(n, c)) * scale
    p = np.exp(z - z.max(1, keepdims=True))
    return (p / p.sum(1, keepdims=True)).astype(np.float32), z
