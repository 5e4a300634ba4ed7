"""Helpers of the classification-strategy tests.

:func:`load` imports ``mmseg_ada.active.<name>`` directly.  While the
package ``__init__`` files are being rewritten to the engine-v2 API they
may fail to import; then the three packages on the way
(``mmseg_ada``, ``mmseg_ada.active``, ``mmseg_ada.active.strategies``) are
replaced by empty namespace modules so that the new, self-contained modules
(strategies, ``functional``) still import.  Once the packages import, this
fallback is never used.
"""
import importlib
import os.path as osp
import sys
import types

import numpy as np

from tests.utils import REPO

_PACKAGES = ('mmseg_ada', 'mmseg_ada.active', 'mmseg_ada.active.strategies')
_STUBBED = False


def _stub_packages():
    global _STUBBED
    for name in [m for m in sys.modules
                 if m == 'mmseg_ada' or m.startswith('mmseg_ada.')]:
        del sys.modules[name]
    parent = None
    for name in _PACKAGES:
        mod = types.ModuleType(name)
        mod.__path__ = [osp.join(REPO, *name.split('.'))]
        mod.__package__ = name
        sys.modules[name] = mod
        if parent is not None:
            setattr(parent, name.rsplit('.', 1)[1], mod)
        parent = mod
    _STUBBED = True


def load(name):
    """``mmseg_ada.active.<name>`` (e.g. ``'strategies.badge'``)."""
    full = f'mmseg_ada.active.{name}'
    if not _STUBBED:
        try:
            return importlib.import_module(full)
        except ImportError:
            _stub_packages()
    return importlib.import_module(full)


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
    return UnitPool(image_index=np.arange(n), unit_id=np.zeros(n),
                    cost=cost, prob=prob, feature=feature, stats=st,
                    extras=dict(extras or {}), kind='image')


def random_prob(rng, n, c, scale=3.0):
    """``[n, c]`` softmax of Gaussian logits (and the logits)."""
    z = rng.normal(size=(n, c)) * scale
    p = np.exp(z - z.max(1, keepdims=True))
    return (p / p.sum(1, keepdims=True)).astype(np.float32), z
