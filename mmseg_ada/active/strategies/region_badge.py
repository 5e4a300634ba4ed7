"""Region-level BADGE (ADeADA supplement B; Ash et al., ICLR 2020)."""
from __future__ import annotations

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..functional import describe, grow_until_spent
from ..pool import UnitPool
from ._embedding import Picked
from .badge import BADGE

__all__ = ['RegionBADGE']


@STRATEGIES.register_module()
class RegionBADGE(BADGE):
    """BADGE on regions: k-means++ seeds of region gradient embeddings.

    ADeADA's Figure 3 baseline: "we produce the regional gradient embedding
    by averaging the value of all pixels within it. Then, we follow its
    original implementation to cluster the regions with the k-means++
    algorithm".  A region's embedding is ``g = (p - onehot(argmax p)) (x)
    z`` from the region's mean softmax ``p`` and mean feature ``z`` (the
    pool's ``prob`` and ``feature``, pooled by the region units), as the
    authors' released code builds it (the mean of the per-pixel outer
    products would be a ``C x D`` = 4864-d vector per region, ~2.3 GB for
    Cityscapes' ~119k regions).  Seeding as image BADGE (first: the largest
    ``||g||``, then D^2 sampling, seeded by the round).

    The budget is in pixels: the seeds, in seeding order, are bought while
    they fit; the number of seeds starts at ``ceil(budget / mean region
    cost)`` and doubles while all of them fit (the first seeds do not
    depend on how many are drawn), as the released code seeds "selection
    count x 40" regions (the regions of the budget's images) and buys them
    in order up to the budget.

    Args:
        seed, n_local_trials, first: as :class:`BADGE`.
    """

    unit_kinds = ('region', )

    def pick(self, pool: UnitPool, cand: np.ndarray, k: int, budget: int,
             round_idx: int) -> Picked:
        """The regions in k-means++ seeding order within ``budget`` pixels;
        the facts are the seeds drawn and ``||g||`` of the picks and of the
        candidates.

        Args:
            pool: the region pool (``prob`` and ``feature`` per region).
            cand: ``int64`` candidate rows (``cost > 0``).
            k: ``min(budget, len(cand))`` (unused: the number of seeds is
                grown from the budget, see the class docstring).
            budget: what may be spent, in pixels.
            round_idx: the round (seeds the k-means++ draws).

        Returns:
            tuple: ``int64`` rows of ``pool`` in seeding order and a dict
            with ``num_seeds``, ``grad_norm_picked`` and
            ``grad_norm_pool``.
        """
        dist, seeds = self._seeder(pool, cand, round_idx)
        picks, k = grow_until_spent(seeds, pool.cost[cand], budget)
        norm = np.sqrt(dist.sq)
        return cand[picks], dict(
            num_seeds=int(k),
            grad_norm_picked=describe(norm[picks]),
            grad_norm_pool=describe(norm))
