"""The round figure of a selection strategy, drawn for the engine.

Strategies only compute; what their round looks like is drawn here.  A
strategy names its figure with the class attribute ``figure`` and
:func:`draw_strategy_figure` looks the drawer up in :data:`STRATEGY_FIGURES`:

* ``'classes'`` (the default of
  :class:`~mmseg_ada.active.strategies.BaseStrategy`): units bought and cost
  spent per predicted class (:func:`draw_class_figure`);
* ``'embedding'``: a PCA scatter of ``pool.feature`` with the picks beside
  the picks per class (:func:`~.embedding.draw_embedding_figure`; the class
  figure when the pool has no features or probabilities);
* ``'adeada'``: ADeADA's report of where the round's budget went
  (:func:`~.adeada_report.draw_adeada_figure`).

A strategy with a figure of its own registers a drawer under a new name
with :func:`register_strategy_figure` and sets ``figure`` to that name.
The active selector writes the figure to
``active/vis/round_<k>/<StrategyClass>.png``.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import numpy as np

__all__ = [
    'STRATEGY_FIGURES', 'register_strategy_figure', 'draw_strategy_figure',
    'draw_class_figure', 'bought_classes'
]

#: ``figure`` name -> ``drawer(strategy, selection, pool, out_file,
#: class_names)``.
STRATEGY_FIGURES: Dict[str, Callable[..., None]] = {}


def register_strategy_figure(
        name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a drawer of strategy round figures under ``name``.

    Args:
        name: the value of a strategy's ``figure`` attribute.

    Returns:
        The decorator (it returns the drawer unchanged).
    """

    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        if name in STRATEGY_FIGURES and STRATEGY_FIGURES[name] is not fn:
            raise KeyError(f'a strategy figure {name!r} is registered '
                           'already')
        STRATEGY_FIGURES[name] = fn
        return fn

    return wrap


def draw_strategy_figure(strategy: Any,
                         selection: Any,
                         pool: Any,
                         out_file: str,
                         class_names: Optional[Sequence[str]] = None) -> None:
    """Draw the round figure that ``strategy.figure`` names.

    Args:
        strategy: the strategy that selected (its ``figure`` attribute picks
            the drawer; ``'classes'`` when absent).
        selection: what its ``select`` returned.
        pool: the pool it selected from.
        out_file: PNG to write.
        class_names: names of the classes.
    """
    name = getattr(strategy, 'figure', 'classes')
    if name not in STRATEGY_FIGURES:
        raise KeyError(f'{type(strategy).__name__}.figure = {name!r}: no '
                       f'such strategy figure (known: '
                       f'{sorted(STRATEGY_FIGURES)})')
    STRATEGY_FIGURES[name](strategy, selection, pool, out_file, class_names)


def bought_classes(pool: Any, index: np.ndarray,
                   class_names: Optional[Sequence[str]]) -> Tuple[Any, int]:
    """The predicted class of the rows ``index`` and ``C``.

    The argmax of ``pool.prob``, else ``extras['pred_class']`` (pixel pools
    keep no probabilities unless ``keep_prob``).

    Args:
        pool: the pool.
        index: rows of ``pool``.
        class_names: names of the classes (their number bounds ``C``).

    Returns:
        tuple: ``(classes, C)``; ``(None, 0)`` without either.
    """
    if pool.prob is not None:
        return pool.pred_class[index], pool.num_classes
    if 'pred_class' not in pool.extras:
        return None, 0
    cls = np.asarray(pool.extras['pred_class'], dtype=np.int64)[index]
    top = int(cls.max()) + 1 if cls.size else 0
    return cls, max(len(class_names or []), top)


@register_strategy_figure('classes')
def draw_class_figure(strategy: Any,
                      selection: Any,
                      pool: Any,
                      out_file: str,
                      class_names: Optional[Sequence[str]] = None) -> None:
    """Draw a round's bought units and cost per predicted class.

    The predicted class of a unit is the argmax of its probabilities.

    Args:
        strategy: the strategy (its class name is the title).
        selection: what its ``select`` returned.
        pool: the pool it selected from.
        out_file: PNG to write.
        class_names: names of the classes.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    idx = selection.index
    cls, C = bought_classes(pool, idx, class_names)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    if C and idx.size:
        names = list(class_names or [])[:C] or [str(c) for c in range(C)]
        names += [str(c) for c in range(len(names), C)]
        for ax, vals, title in ((axes[0], np.bincount(cls, minlength=C),
                                 'units bought'), (axes[1],
                                                   np.bincount(
                                                       cls,
                                                       weights=pool.cost[idx],
                                                       minlength=C),
                                                   'cost spent')):
            ax.bar(np.arange(C), vals, color='tab:blue')
            ax.set_xticks(np.arange(C))
            ax.set_xticklabels(names, rotation=60, ha='right', fontsize=7)
            ax.set_title(f'{title} per predicted class', fontsize=10)
    else:
        for ax in axes:
            ax.text(
                0.5,
                0.5,
                f'{idx.size} bought, no predicted class in the pool'
                if idx.size else 'nothing bought',
                ha='center',
                va='center',
                transform=ax.transAxes)
            ax.set_axis_off()
    fig.suptitle(
        f'{type(strategy).__name__}: {idx.size} {pool.kind}s, '
        f'{int(pool.cost[idx].sum())} spent',
        fontsize=11)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
