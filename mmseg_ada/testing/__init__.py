"""Test and demo helpers; not imported by ``import mmseg_ada``.

:mod:`mmseg_ada.testing.synthetic` renders the small synthetic
source/target pair used by ``make demo`` and the tests.
"""
from .synthetic import make_synthetic_da, render_scene

__all__ = ['make_synthetic_da', 'render_scene']
