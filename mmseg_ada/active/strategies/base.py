"""The interface every active-selection strategy implements.

A selection pass turns the current model's predictions on the unlabelled
target pool into a :class:`RegionPool` (one row per candidate region, see
:func:`mmseg_ada.active.pooling.build_region_pool`).  A strategy ranks the
rows and buys as many as the pixel budget allows; it never sees ground
truth.

Strategies also work at pixel level (``unit='pixel'``): per image,
:meth:`BaseActiveStrategy.pixel_score` turns the ``[C, H, W]`` softmax map
into a ``[H, W]`` score map (higher = buy first) and
:meth:`BaseActiveStrategy.select_pixels` buys the ``k`` best unlabelled
pixels, ``k`` being the image's share of the round budget (e.g. budget
fraction x image pixels).  :meth:`BaseActiveStrategy.select_image_pixels`
chains the two with a generator seeded by (seed, round, image index), so the
result does not depend on the order or the rank images are processed on.

Strategies are registered in MMSegmentation's ``TASK_UTILS`` registry (the
class names carry the ``Active`` prefix so they never clash with mmseg's loss
pixel samplers, which live there too) and are built from config, e.g.
``dict(type='ActiveEntropy', unit='region')``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Sequence

import numpy as np

__all__ = ['RegionPool', 'Selection', 'take_within_budget',
           'BaseActiveStrategy']


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, 'detach'):  # torch.Tensor, without importing torch here
        x = x.detach().cpu().numpy()
    return np.asarray(x)


@dataclass
class RegionPool:
    """Candidate regions of one selection pass.

    All arrays share the first dimension ``N`` (one entry per region).

    Args:
        image_index: ``int64 [N]`` dataset index of the region's target image.
        region_id: ``int64 [N]`` id of the region inside that image's region
            map.
        cost: ``int64 [N]`` pixels a purchase would add to the label store
            (the region's pixels that are not labelled yet).
        prob: ``float32 [N, C]`` mean softmax probability over the region.
        stats: per-region means of per-pixel scores, by name: ``'entropy'``,
            ``'confidence'`` (max prob) and ``'margin'`` (top-1 minus top-2),
            plus whatever a strategy's pass adds.
        feature: optional ``float32 [N, D]`` mean feature over the region.
    """

    image_index: np.ndarray
    region_id: np.ndarray
    cost: np.ndarray
    prob: np.ndarray
    stats: Dict[str, np.ndarray] = field(default_factory=dict)
    feature: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        n = int(np.shape(self.cost)[0])
        fields = dict(image_index=self.image_index, region_id=self.region_id,
                      prob=self.prob, feature=self.feature,
                      **{f'stats[{k!r}]': v for k, v in self.stats.items()})
        for name, value in fields.items():
            if value is not None and int(np.shape(value)[0]) != n:
                raise ValueError(f'RegionPool.{name} has {np.shape(value)[0]} '
                                 f'rows, cost has {n}')
        if np.ndim(self.prob) != 2:
            raise ValueError('RegionPool.prob must be [N, C], got shape '
                             f'{np.shape(self.prob)}')

    def __len__(self) -> int:
        return int(self.cost.shape[0])

    @property
    def pred_class(self) -> np.ndarray:
        """``int64 [N]`` region class: argmax of the mean probability."""
        return self.prob.argmax(axis=1).astype(np.int64)

    def subset(self, index: np.ndarray) -> 'RegionPool':
        """The rows ``index`` of this pool, as a new pool."""
        return RegionPool(
            image_index=self.image_index[index],
            region_id=self.region_id[index],
            cost=self.cost[index],
            prob=self.prob[index],
            stats={k: v[index] for k, v in self.stats.items()},
            feature=None if self.feature is None else self.feature[index])

    @classmethod
    def cat(cls, pools: Sequence['RegionPool']) -> 'RegionPool':
        """Concatenate pools (e.g. per image, or gathered from ranks).

        All pools must have the same stats keys and all or none features.

        Args:
            pools: at least one pool.

        Returns:
            RegionPool: the rows of all pools, in order.
        """
        pools = list(pools)
        if not pools:
            raise ValueError('RegionPool.cat needs at least one pool')
        keys = set(pools[0].stats)
        if any(set(p.stats) != keys for p in pools):
            raise ValueError('RegionPool.cat: pools have different stats keys')
        has_feat = [p.feature is not None for p in pools]
        if any(has_feat) and not all(has_feat):
            raise ValueError('RegionPool.cat: some pools have features and '
                             'some do not')
        return cls(
            image_index=np.concatenate([p.image_index for p in pools]),
            region_id=np.concatenate([p.region_id for p in pools]),
            cost=np.concatenate([p.cost for p in pools]),
            prob=np.concatenate([p.prob for p in pools]),
            stats={k: np.concatenate([p.stats[k] for p in pools])
                   for k in pools[0].stats},
            feature=np.concatenate([p.feature for p in pools])
            if all(has_feat) else None)


@dataclass
class Selection:
    """What a strategy bought.

    Args:
        index: ``int64 [M]`` rows of the pool that were bought, in the order
            they were chosen.
        info: JSON-serialisable facts for the round report (budgets per
            class, shares, ...).
    """

    index: np.ndarray
    info: Dict[str, Any] = field(default_factory=dict)


def take_within_budget(order: np.ndarray, cost: np.ndarray,
                       budget: int) -> np.ndarray:
    """Walk ``order`` and keep every row whose cost still fits the budget.

    Rows that would overflow the remaining budget are skipped (a smaller row
    further down may still fit), so the spent total never exceeds ``budget``
    and, at the end, every row not kept costs more than what is left.
    Rows with zero cost are skipped: they would buy nothing.

    Args:
        order: row indices in preference order (best first).
        cost: ``[N]`` pixel cost of every row of the pool (``>= 0``).
        budget: pixels that may be spent.

    Returns:
        ``int64 [M]`` the kept rows, in preference order.
    """
    order = np.asarray(order, dtype=np.int64).ravel()
    cost = np.asarray(cost)
    if cost.size and cost.min() < 0:
        raise ValueError(f'region costs must be >= 0, got {cost.min()}')
    c = cost.astype(np.int64)[order]
    budget = int(budget)
    if budget <= 0 or order.size == 0:
        return np.zeros(0, dtype=np.int64)
    # Fast path: the prefix that fits without any skipping.
    csum = np.cumsum(c)
    n_prefix = int(np.searchsorted(csum, budget, side='right'))
    keep = [order[:n_prefix][c[:n_prefix] > 0]]
    left = budget - (int(csum[n_prefix - 1]) if n_prefix else 0)
    # Slow path over the remainder: skip rows that do not fit.  Only rows
    # that fit the budget left now can ever fit later.
    rest_order, rest_cost = order[n_prefix:], c[n_prefix:]
    if left > 0 and rest_order.size:
        extra = []
        for i in np.flatnonzero((rest_cost <= left) & (rest_cost > 0)):
            if rest_cost[i] <= left:
                extra.append(rest_order[i])
                left -= int(rest_cost[i])
                if left <= 0:
                    break
        keep.append(np.asarray(extra, dtype=np.int64))
    return np.concatenate(keep).astype(np.int64)


class BaseActiveStrategy:
    """Base class of region- and pixel-level active strategies.

    Subclasses implement :meth:`score` (region level, higher = buy first)
    and :meth:`pixel_score` (pixel level).  The default :meth:`select` ranks
    all rows by score (ties broken by a seeded random permutation, so every
    rank and every rerun agrees) and buys greedily within the budget.

    Args:
        seed: seed of the tie-breaking / sampling generator; combined with the
            round index so rounds differ but reruns do not.
        unit: ``'region'`` (buy regions of a :class:`RegionPool`) or
            ``'pixel'`` (buy single pixels per image, see
            :meth:`select_image_pixels`); default: the class attribute.
    """

    #: ``'region'`` or ``'pixel'``.
    unit: str = 'region'
    #: whether the selection pass must pool 256-d features.
    requires_features: bool = False
    #: whether the selection pass must also run over the source pool.
    requires_source: bool = False

    def __init__(self, seed: int = 0, unit: Optional[str] = None) -> None:
        self.seed = int(seed)
        if unit is not None:
            if unit not in ('region', 'pixel'):
                raise ValueError(f"unit must be 'region' or 'pixel', got "
                                 f'{unit!r}')
            self.unit = unit

    def rng(self, round_idx: int, *keys: int) -> np.random.Generator:
        """The generator for round ``round_idx`` (same on every rank).

        Args:
            round_idx: the round.
            *keys: further integers to derive an independent stream from,
                e.g. the image index for per-image pixel selection.
        """
        return np.random.default_rng(
            [self.seed, int(round_idx)] + [int(k) for k in keys])

    def score(self, pool: RegionPool) -> np.ndarray:
        """``float [N]`` value of buying each row (higher is better)."""
        raise NotImplementedError

    def pixel_score(self, prob: Any,
                    rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """``float [H, W]`` value of buying each pixel (higher is better).

        Args:
            prob: ``[C, H, W]`` softmax probabilities (numpy or torch).
            rng: generator for strategies that sample.
        """
        raise NotImplementedError(
            f'{type(self).__name__} has no pixel-level score')

    @staticmethod
    def _stat(pool: RegionPool, name: str) -> np.ndarray:
        if name not in pool.stats:
            raise KeyError(
                f"the region pool has no stats[{name!r}] (has "
                f'{sorted(pool.stats)}); build it with '
                'mmseg_ada.active.pooling.build_region_pool')
        return np.asarray(pool.stats[name], dtype=np.float64)

    def select(self, pool: RegionPool, budget: int, round_idx: int = 0,
               **context: Any) -> Selection:
        """Buy rows of ``pool`` spending at most ``budget`` pixels.

        Args:
            pool: the candidates.
            budget: pixel budget of this round.
            round_idx: 1-based round number (schedules depend on it).
            **context: extra inputs some strategies need (e.g.
                ``source_pool`` for density-aware selection).

        Returns:
            Selection: the bought rows; ``info['spent_pixels']`` is their
            total cost.
        """
        if len(pool) == 0:
            return Selection(np.zeros(0, dtype=np.int64),
                             dict(spent_pixels=0))
        scores = np.asarray(self.score(pool), dtype=np.float64)
        if scores.shape != (len(pool), ):
            raise ValueError(f'{type(self).__name__}.score returned shape '
                             f'{scores.shape}, expected ({len(pool)},)')
        if np.isnan(scores).any():
            raise ValueError(f'{type(self).__name__}.score returned NaN')
        tie = self.rng(round_idx).permutation(len(pool))
        order = np.lexsort((tie, -scores))
        index = take_within_budget(order, pool.cost, budget)
        return Selection(index,
                         dict(spent_pixels=int(pool.cost[index].sum())))

    @staticmethod
    def select_pixels(score_map: Any,
                      labeled_mask: Optional[Any],
                      k: int,
                      rng: Optional[np.random.Generator] = None
                      ) -> np.ndarray:
        """Buy the ``k`` highest-scoring unlabelled pixels of one image.

        Args:
            score_map: ``float [H, W]`` pixel scores (higher = buy first).
            labeled_mask: optional ``bool [H, W]`` already labelled pixels
                (never bought again).
            k: pixels to buy; fewer when fewer are unlabelled.
            rng: shuffles the candidates first, so ties are broken at
                random (but reproducibly).

        Returns:
            np.ndarray: ``bool [H, W]`` the bought pixels, exactly
            ``min(k, unlabelled pixels)`` of them.
        """
        s = _to_numpy(score_map).astype(np.float64, copy=False)
        if s.ndim != 2:
            raise ValueError(f'score_map must be [H, W], got shape {s.shape}')
        flat = s.ravel()
        if labeled_mask is None:
            cand = np.arange(flat.size)
        else:
            lab = _to_numpy(labeled_mask).astype(bool, copy=False)
            if lab.shape != s.shape:
                raise ValueError(f'labeled_mask has shape {lab.shape}, '
                                 f'score_map {s.shape}')
            cand = np.flatnonzero(~lab.ravel())
        out = np.zeros(flat.size, dtype=bool)
        k = min(int(k), cand.size)
        if k <= 0:
            return out.reshape(s.shape)
        if rng is not None:
            cand = cand[rng.permutation(cand.size)]
        vals = flat[cand]
        if np.isnan(vals).any():
            raise ValueError('score_map has NaN at unlabelled pixels')
        if k < cand.size:
            cand = cand[np.argpartition(-vals, k - 1)[:k]]
        out[cand] = True
        return out.reshape(s.shape)

    def select_image_pixels(self, prob: Any, labeled_mask: Optional[Any],
                            k: int, round_idx: int = 0,
                            image_index: int = 0) -> np.ndarray:
        """Pixel-level selection on one image.

        Args:
            prob: ``[C, H, W]`` softmax probabilities.
            labeled_mask: optional ``bool [H, W]`` already labelled pixels.
            k: pixels to buy in this image.
            round_idx: the round (seeds the generator).
            image_index: dataset index of the image (seeds the generator).

        Returns:
            np.ndarray: ``bool [H, W]`` the bought pixels.
        """
        rng = self.rng(round_idx, image_index)
        return self.select_pixels(self.pixel_score(prob, rng), labeled_mask,
                                  k, rng)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(seed={self.seed}, unit={self.unit!r})'
