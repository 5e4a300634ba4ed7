"""The plugin's own registries (children of MMSegmentation's).

Models, datasets, transforms, metrics, hooks and loops of mmseg-ada are
registered into MMSegmentation's registries, so configs use them with
``default_scope='mmseg'`` like any mmseg module.  The kinds of component that
only the active-learning engine builds have registries of their own, in the
``mmseg_ada`` scope.  :data:`STRATEGIES` is a child of mmseg's ``TASK_UTILS``
(so ``mmseg_ada.<Name>`` resolves from mmseg's scope too); mmengine allows one
child per scope under a parent, so the other three are roots of their own:

* :data:`STRATEGIES` - selection strategies (``mmseg_ada/active/strategies``);
* :data:`UNITS` - what a strategy buys: regions, pixels or images;
* :data:`LABEL_STORES` - where purchases are recorded (masks, image ids);
* :data:`ORACLES` - where the labels of purchases come from.

Each registry knows the package its built-in members live in
(``locations``), so they register themselves on first use, and a strategy in
a file of its own (``custom_imports``) registers with
``@STRATEGIES.register_module()``; no list has to be edited.  Use
:func:`build_active` to build from a config dict: it builds in the
``mmseg_ada`` scope whatever the default scope is (strategies fall back to
mmseg's and mmengine's ``TASK_UTILS`` for names registered only there).
"""
from __future__ import annotations

import copy
from typing import Any, Union

from mmengine.registry import Registry
from mmseg.registry import TASK_UTILS as MMSEG_TASK_UTILS

__all__ = ['STRATEGIES', 'UNITS', 'LABEL_STORES', 'ORACLES', 'build_active']

SCOPE = 'mmseg_ada'

#: Selection strategies: ``score``/``select`` on a pool of units.
STRATEGIES = Registry(
    'active strategy',
    parent=MMSEG_TASK_UTILS,
    scope=SCOPE,
    locations=['mmseg_ada.active.strategies'])
#: Kinds of unit a strategy buys (region, pixel, image).
UNITS = Registry(
    'active unit', scope=SCOPE, locations=['mmseg_ada.active.units'])
#: Crash-safe records of what was bought (masks, image ids).
LABEL_STORES = Registry(
    'label store', scope=SCOPE, locations=['mmseg_ada.active.stores'])
#: Where the labels of bought units come from (ground truth, annotators).
ORACLES = Registry(
    'oracle', scope=SCOPE, locations=['mmseg_ada.active.oracles'])


def build_active(cfg: Union[dict, Any], registry: Registry, **kwargs) -> Any:
    """Build ``cfg`` from one of this module's registries.

    An object that is not a dict is returned unchanged (already built).

    Args:
        cfg: a config dict with ``type`` (or a built object).
        registry: :data:`STRATEGIES`, :data:`UNITS`, ...
        **kwargs: default arguments.

    Returns:
        The built object.
    """
    if not isinstance(cfg, dict):
        return cfg
    cfg = copy.deepcopy(dict(cfg))
    if 'type' not in cfg:
        raise KeyError(f'a {registry.name} config needs a "type", got {cfg}')
    cfg.setdefault('_scope_', SCOPE)
    return registry.build(cfg, default_args=kwargs or None)
