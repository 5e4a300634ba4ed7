"""The contract every selection strategy implements.

A selection round has two phases:

1. **collect** (every rank, over its shard of the pool): the model turns
   each pool image into the outputs the strategy declared in
   :attr:`BaseStrategy.requires` (``'prob'``, ``'feature'``,
   ``'aux_prob'``, ``'domain'``, ... - one call of the model's
   ``predict_active``; every name a strategy may require, and who serves
   it, is declared in :mod:`mmseg_ada.active.requirements`), and the unit
   kind pools them into
   :class:`~mmseg_ada.active.pool.UnitPool` rows (per region, per candidate
   pixel, per image).  Pixel units keep only each image's best candidates by
   :meth:`BaseStrategy.pixel_score`, so a pool never holds every pixel.
   Requirements that are not per-sample model outputs are served by the
   engine: ``'source_pool'`` (the same collect over the source images,
   passed to :meth:`select` as ``source_pool``) and model constants such as
   ``'classifier_weight'`` (the model's ``active_constants``, passed to
   :meth:`select` under their names).
2. **select** (rank 0 only): :meth:`BaseStrategy.select` picks rows within
   the round's budget (in the unit's cost: pixels for regions and pixels,
   images for images).  The engine broadcasts the picks, checks every rank
   holds the same, commits them to the label store and draws the round's
   figure named by :attr:`BaseStrategy.figure` (drawn by
   :mod:`mmseg_ada.visualization`; strategies draw nothing).

The default :meth:`select` ranks candidates by :meth:`score` (higher first,
ties broken by a generator seeded with ``(seed, round)``) and buys greedily
within the budget; for pixel units each image buys its share of the budget
(``pixel_quota='image'``) or all images compete (``'global'``).  A strategy
with its own budget logic (ADeADA, k-means based ones) overrides
:meth:`select`.  Strategies are registered in
:data:`mmseg_ada.registry.STRATEGIES`; a new one is one file::

    from mmseg_ada.active import BaseStrategy
    from mmseg_ada.registry import STRATEGIES

    @STRATEGIES.register_module()
    class MyScore(BaseStrategy):
        requires = ('prob',)
        def score(self, pool):
            return pool.stat('entropy') * (1 - pool.stat('margin'))
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from ..functional.selection import check_budget
from ..pool import UNIT_KINDS, Selection, UnitPool, take_within_budget
from ..requirements import requirement_names, served_by

__all__ = ['BaseStrategy', 'ENGINE_REQUIREMENTS', 'MODEL_CONSTANTS']

#: Requirements served by the engine rather than by the model's outputs
#: (from :data:`mmseg_ada.active.requirements.REQUIREMENTS`).
ENGINE_REQUIREMENTS = requirement_names('engine')
#: Requirements that are one value for the whole model (not per sample),
#: served by the model's ``active_constants`` and passed to ``select``
#: (from :data:`mmseg_ada.active.requirements.REQUIREMENTS`).
MODEL_CONSTANTS = requirement_names('constant')


class BaseStrategy:
    """Base class of selection strategies.

    Args:
        seed: seed of the tie-breaking / sampling generators; combined with
            the round (and, for pixels, the image) so rounds differ but
            reruns do not.
        pixel_quota: pixel units only: ``'image'`` (each image buys
            ``floor(budget * its pixels / all pixels)`` of its best pixels)
            or ``'global'`` (the best pixels over all images; each image
            offers at most ``candidate_factor`` times its share).
        candidate_factor: pixel units with ``pixel_quota='global'``: how many
            times its share of the budget an image offers as candidates.
    """

    #: What :meth:`select` needs, collected per unit by the selection pass:
    #: names of :data:`mmseg_ada.active.requirements.REQUIREMENTS` (an
    #: unknown name is refused when the selector is built).
    requires: Tuple[str, ...] = ('prob', )
    #: The unit kinds this strategy can rank.
    unit_kinds: Tuple[str, ...] = UNIT_KINDS
    #: the round figure, a name of :data:`mmseg_ada.visualization.
    #: STRATEGY_FIGURES`: ``'classes'`` (units and cost per predicted
    #: class), ``'embedding'`` (also a PCA scatter of ``pool.feature``) or
    #: ``'adeada'`` (ADeADA's budget report)
    figure: str = 'classes'

    def __init__(self,
                 seed: int = 0,
                 pixel_quota: str = 'image',
                 candidate_factor: float = 4.0) -> None:
        self.seed = int(seed)
        if pixel_quota not in ('image', 'global'):
            raise ValueError("pixel_quota must be 'image' or 'global', got "
                             f'{pixel_quota!r}')
        if float(candidate_factor) < 1:
            raise ValueError('candidate_factor must be >= 1, got '
                             f'{candidate_factor}')
        self.pixel_quota = pixel_quota
        self.candidate_factor = float(candidate_factor)

    # ------------------------------------------------------------ helpers
    def rng(self, round_idx: int, *keys: int) -> np.random.Generator:
        """The generator for round ``round_idx`` (the same on every rank).

        Args:
            round_idx: the round.
            *keys: further integers to derive an independent stream from,
                e.g. the image index for per-image pixel selection.
        """
        return np.random.default_rng([self.seed, int(round_idx)] +
                                     [int(k) for k in keys])

    @property
    def model_requires(self) -> Tuple[str, ...]:
        """The part of :attr:`requires` the model's ``predict_active``
        must provide (per image; not constants, not the engine's)."""
        return served_by(self.requires, 'model')

    @property
    def constant_requires(self) -> Tuple[str, ...]:
        """The part of :attr:`requires` the model's ``active_constants``
        must provide."""
        return served_by(self.requires, 'constant')

    def candidates(self, pool: UnitPool,
                   budget: int) -> Tuple[np.ndarray, int]:
        """Validate ``budget`` and the pool's unit kind.

        Args:
            pool: the candidates.
            budget: what this round may spend (a count ``>= 0``).

        Returns:
            tuple: the rows that can be bought (``cost > 0``) and how many
            of them the budget buys when each costs 1 (image units).
        """
        budget = check_budget(budget)
        self.check_unit_kind(pool.kind)
        cand = np.flatnonzero(pool.candidates)
        return cand, min(budget, int(cand.size))

    def check_unit_kind(self, kind: str) -> None:
        """Raise a clear error when this strategy cannot rank ``kind``.

        Args:
            kind: a unit kind (``'region'``, ``'pixel'`` or ``'image'``).

        Raises:
            ValueError: if ``kind`` is not in :attr:`unit_kinds`.
        """
        if kind not in self.unit_kinds:
            raise ValueError(
                f'{type(self).__name__} ranks {list(self.unit_kinds)} '
                f'units, not {kind!r}')

    # ------------------------------------------------------------- scores
    def score(self, pool: UnitPool) -> np.ndarray:
        """``float [N]`` value of buying each row (higher is better).

        Args:
            pool: the candidates (one score per row, bought or not).

        Returns:
            np.ndarray: ``float [N]`` scores.
        """
        raise NotImplementedError(
            f'{type(self).__name__} implements neither score() nor select()')

    def pixel_score(self,
                    prob: Any,
                    rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """``float [H, W]`` value of buying each pixel (higher is better).

        Args:
            prob: ``[C, H, W]`` softmax probabilities (numpy or torch).
            rng: generator for strategies that sample.
        """
        raise NotImplementedError(
            f'{type(self).__name__} has no pixel-level score')

    # ------------------------------------------------------------- select
    def ranked(self, pool: UnitPool, scores: np.ndarray,
               round_idx: int) -> np.ndarray:
        """Candidate rows by descending ``scores`` (seeded tie-breaks).

        Args:
            pool: the candidates.
            scores: ``[N]`` one score per row of ``pool`` (no NaN among the
                candidates).
            round_idx: the round, seeding the tie-breaking permutation.

        Returns:
            np.ndarray: ``int64`` rows with ``cost > 0``, best first; equal
            scores in the order of a permutation drawn from
            ``rng(round_idx)``.
        """
        scores = np.asarray(scores, dtype=np.float64)
        if scores.shape != (len(pool), ):
            raise ValueError(f'{type(self).__name__}: scores of shape '
                             f'{scores.shape}, expected ({len(pool)},)')
        if np.isnan(scores[pool.candidates]).any():
            raise ValueError(f'{type(self).__name__}: scores contain NaN')
        tie = self.rng(round_idx).permutation(len(pool))
        order = np.lexsort((tie, -scores))
        return order[pool.candidates[order]]

    def select(self,
               pool: UnitPool,
               budget: int,
               round_idx: int = 1,
               **context: Any) -> Selection:
        """Buy rows of ``pool`` spending at most ``budget``.

        Args:
            pool: the candidates (rows with ``cost == 0`` are never bought).
            budget: what this round may spend, in the units' cost.
            round_idx: 1-based round.
            **context: what the engine knows besides the pool:
                ``num_rounds``, ``image_pixels`` (``int64 [num_images]``,
                segmentation), ``class_names``, ``source_pool`` (when
                required), ...

        Returns:
            Selection: the bought rows; ``info['spent']`` is their cost.
        """
        budget = check_budget(budget)
        if len(pool) == 0:
            return Selection.empty()
        self.check_unit_kind(pool.kind)
        order = self.ranked(pool, self.score(pool), round_idx)
        if pool.kind == 'pixel' and self.pixel_quota == 'image':
            index = self._per_image_quota(pool, order, int(budget),
                                          context.get('image_pixels'))
        else:
            index = take_within_budget(order, pool.cost, int(budget))
        return Selection(index, dict(spent=int(pool.cost[index].sum())))

    @staticmethod
    def _per_image_quota(pool: UnitPool, order: np.ndarray, budget: int,
                         image_pixels: Optional[np.ndarray]) -> np.ndarray:
        """Each image buys its share ``floor(budget * px_i / sum px)``."""
        if image_pixels is None:
            raise ValueError("pixel_quota='image' needs the context "
                             "'image_pixels' (pixels of every image)")
        image_pixels = np.asarray(image_pixels, dtype=np.int64)
        total = int(image_pixels.sum())
        quota = (budget * image_pixels) // max(total, 1)
        img = pool.image_index[order]
        # rank of each row inside its image, in preference order
        first = np.zeros(len(order), dtype=np.int64)
        sort = np.argsort(img, kind='stable')
        sorted_img = img[sort]
        starts = np.flatnonzero(np.r_[True, sorted_img[1:] != sorted_img[:-1]])
        run = np.repeat(starts, np.diff(np.r_[starts, len(sort)]))
        first[sort] = np.arange(len(sort)) - run
        return order[first < quota[img]]

    def __repr__(self) -> str:
        return f'{type(self).__name__}(seed={self.seed})'
