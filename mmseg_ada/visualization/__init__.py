"""Drawing and writing out of the algorithms' results.

The algorithms (:mod:`mmseg_ada.active`) and the models compute; the
figures of what they computed are drawn here:

* the round figure of a selection strategy, chosen by the strategy's
  ``figure`` attribute (:mod:`.strategy_figures`: ``'classes'``;
  :mod:`.embedding`: ``'embedding'``; :mod:`.adeada_report`:
  ``'adeada'``), written by the active selector to
  ``active/vis/round_<k>/<StrategyClass>.png``;
* ADA-MCU's acquisition figures (:mod:`.mcu_acquisition`), written by
  :class:`~mmseg_ada.engine.hooks.MCUAcquisitionHook` from the arrays the
  model records.
"""
from .adeada_report import draw_adeada_figure, draw_adeada_round
from .embedding import draw_embedding_figure, embedding_figure, pca_2d
from .mcu_acquisition import (GROUP_COLOURS, default_palette, draw_acquisition,
                              resolve_vis_dir, write_acquisition_figure)
from .strategy_figures import (STRATEGY_FIGURES, bought_classes,
                               draw_class_figure, draw_strategy_figure,
                               register_strategy_figure)

__all__ = [
    'STRATEGY_FIGURES', 'register_strategy_figure', 'draw_strategy_figure',
    'draw_class_figure', 'bought_classes', 'draw_embedding_figure',
    'embedding_figure', 'pca_2d', 'draw_adeada_figure', 'draw_adeada_round',
    'GROUP_COLOURS', 'default_palette', 'draw_acquisition', 'resolve_vis_dir',
    'write_acquisition_figure'
]
