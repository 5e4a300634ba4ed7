"""Round figures of the embedding-based strategies (``figure =
'embedding'``): a PCA scatter of the pool with the picks."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from .strategy_figures import draw_class_figure, register_strategy_figure

__all__ = ['pca_2d', 'embedding_figure', 'draw_embedding_figure']


def pca_2d(x: np.ndarray) -> np.ndarray:
    """Projection of ``x`` on its two principal axes (after centring).

    Args:
        x: ``[N, D]`` points.

    Returns:
        np.ndarray: ``float64 [N, 2]`` (with fewer than 2 points or
        dimensions: the centred first columns, zero-padded to 2).
    """
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(0)
    if x.shape[0] < 2 or x.shape[1] < 2:
        return np.pad(x[:, :2], ((0, 0), (0, max(0, 2 - x.shape[1]))))
    # the top right-singular vectors of x, from the small D x D matrix
    _, vecs = np.linalg.eigh(x.T @ x)
    return x @ vecs[:, ::-1][:, :2]


def embedding_figure(feature: np.ndarray,
                     cost: np.ndarray,
                     picks: np.ndarray,
                     pred_class: np.ndarray,
                     num_classes: int,
                     out_file: str,
                     title: str,
                     class_names: Optional[Sequence[str]] = None,
                     max_points: int = 5000,
                     seed: int = 0) -> None:
    """PCA scatter of the pool with the picks, and picks per class.

    Args:
        feature: ``[N, D]`` embeddings.
        cost: ``[N]`` unit costs (0: labelled).
        picks: rows bought this round.
        pred_class: ``[N]`` predicted class of every row.
        num_classes: ``C``.
        out_file: PNG to write.
        title: figure title.
        class_names: names of the classes.
        max_points: unbought rows drawn at most (a seeded sample).
        seed: seed of that sample.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    n = len(cost)
    picks = np.asarray(picks, dtype=np.int64)
    rest = np.setdiff1d(np.arange(n), picks)
    if rest.size > max_points:
        rest = np.sort(
            np.random.default_rng(seed).choice(
                rest, max_points, replace=False))
    rows = np.concatenate([rest, picks])
    xy = pca_2d(np.asarray(feature)[rows])
    xy_rest, xy_picks = xy[:rest.size], xy[rest.size:]
    labelled = np.asarray(cost)[rest] == 0
    fig, axes = plt.subplots(
        1, 2, figsize=(12, 4.8), gridspec_kw=dict(width_ratios=[1.2, 1]))
    ax = axes[0]
    ax.scatter(*xy_rest[~labelled].T, s=4, c='0.75', label='unlabelled')
    if labelled.any():
        ax.scatter(
            *xy_rest[labelled].T, s=10, c='k', marker='x', label='labelled')
    ax.scatter(*xy_picks.T, s=22, c='tab:red', label='bought')
    ax.set_title('embedding (PCA)', fontsize=10)
    ax.legend(fontsize=8, loc='best')
    ax.set_xticks([])
    ax.set_yticks([])
    C = int(num_classes)
    names = list(class_names or [])[:C] or [str(c) for c in range(C)]
    names += [str(c) for c in range(len(names), C)]
    counts = np.bincount(np.asarray(pred_class)[picks], minlength=C)
    axes[1].bar(np.arange(C), counts, color='tab:red')
    axes[1].set_xticks(np.arange(C))
    axes[1].set_xticklabels(
        names, rotation=60, ha='right', fontsize=7 if C <= 40 else 4)
    axes[1].yaxis.get_major_locator().set_params(integer=True)
    axes[1].set_title('bought per predicted class', fontsize=10)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)


@register_strategy_figure('embedding')
def draw_embedding_figure(strategy: Any,
                          selection: Any,
                          pool: Any,
                          out_file: str,
                          class_names: Optional[Sequence[str]] = None) -> None:
    """The round figure of a strategy with ``figure = 'embedding'``.

    :func:`embedding_figure` of ``pool.feature`` when the pool has features
    and probabilities; else the class figure
    (:func:`~.strategy_figures.draw_class_figure`).

    Args:
        strategy: the strategy (its class name is the title; its seed seeds
            the sample of unbought rows drawn).
        selection: what its ``select`` returned.
        pool: the pool it selected from.
        out_file: PNG to write.
        class_names: names of the classes.
    """
    if pool.feature is None or pool.prob is None:
        draw_class_figure(strategy, selection, pool, out_file, class_names)
        return
    name = type(strategy).__name__
    embedding_figure(
        pool.feature,
        pool.cost,
        selection.index,
        pool.pred_class,
        pool.num_classes,
        out_file, f'{name}: {selection.index.size} images bought, '
        f'{int((pool.cost == 0).sum())} labelled before',
        class_names=class_names,
        seed=strategy.seed)
