"""mmseg-ada: active domain adaptation for MMSegmentation 1.x.

Importing this package applies the compatibility fixes for the pinned stack
(:mod:`mmseg_ada.utils.compat`) and registers every dataset, transform,
metric, model, hook and active-learning strategy into MMSegmentation's
registries, so a config only needs::

    custom_imports = dict(imports=['mmseg_ada'], allow_failed_imports=False)
"""
from .utils import compat as _compat  # noqa: F401  (must run first)

_compat.apply()

from . import active, datasets, engine, evaluation, models  # noqa: E402,F401

__version__ = '0.1.0'
__all__ = ['__version__']
