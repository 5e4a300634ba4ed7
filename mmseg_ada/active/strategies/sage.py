"""SAGE: stochastic adversarial gradient embedding (Bouvier et al.,
Sec. 3-4, Eq. 3-6, Algorithm 1)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..functional import (SageSqDist, describe, farthest_first, kmeanspp,
                          sage_embedding)
from ..pool import Selection, UnitPool, take_within_budget
from ._embedding import EmbeddingStrategy, check_first

__all__ = ['SAGE']

_DIVERSITY = ('farthest', 'kmeans++', 'none')


@STRATEGIES.register_module()
class SAGE(EmbeddingStrategy):
    """Stochastic Adversarial Gradient Embedding.

    **Model contract** - ``'disc_grad'``: per image a ``[C, D]`` tensor
    whose row ``c`` is ``g^c = -d log d_c(z) / dz`` (Eq. 3), where

    * ``z`` (``[D]``) is the representation fed to both the classifier and
      the class-level discriminator (the TSF discriminator of Eq. 2), taken
      in eval mode (no dropout, running BN statistics) so that each image's
      gradient depends on that image only;
    * ``d_c(z)`` in ``(0, 1)`` is the discriminator's output for class
      ``c`` read as ``P(source | class c)`` (the paper's convention: ``d``
      is trained towards 1 on source, 0 on target); with sigmoid logits
      ``a_c``, ``g^c = -(1 - d_c(z)) grad_z a_c(z)``;
    * ``C`` equals the classifier's classes (a binary DANN discriminator has
      no per-class gradients and is rejected).

    A discriminator that outputs ``P(target)`` instead must provide the
    gradient of ``-log(1 - d'_c)``, not of ``-log d'_c``.
    :func:`mmseg_ada.active.functional.class_disc_grad` computes the
    contract by autograd for a logits discriminator.

    Selection (on unlabelled images only, as Algorithm 2 passes ``U_T'``):
    the expected gradient ``mu = sum_c h_c g^c`` (Eq. 4, exact expectation
    over ``y ~ h(x)``, ``h = pool.prob``), the positive orthogonal
    projection ``g~^c = g^c - |g^c . mu| / ||mu||^2 mu`` (Eq. 5, per class),
    the embedding ``S(x) = (sqrt(h_c) g~^c)_c`` (Eq. 6, ``[C * D]``), then

    * ``diversity='farthest'`` (default, Algorithm 1 as written): start from
      the largest ``||S||``, then repeatedly add the image farthest from
      the chosen ones (exact, lazy; no ``N x N``, and ``S`` is never
      built: :class:`~mmseg_ada.active.functional.SageSqDist` reads the
      gradients once per batch of 32 picks);
    * ``'kmeans++'`` (the text says "k-means++ initialization"): Algorithm
      1's first pick, the largest ``||S||`` (line 2), then k-means++ D^2
      sampling on ``S`` (seeded; greedy with ``n_local_trials`` candidates
      per step, as scikit-learn; ``S`` is never built either);
      ``first='random'`` draws the first pick uniformly instead
      (scikit-learn's ``kmeans_plusplus``, which this option was before);
    * ``'none'``: the ``b`` largest norms ("Sage without diversity").

    Args:
        seed: seed of ``kmeans++`` and tie-breaks (with the round).
        pop: positive orthogonal projection (``False``: "Sage without
            POP").
        diversity: ``'farthest'``, ``'kmeans++'`` or ``'none'``.
        eps: added to ``||mu||^2``.
        n_local_trials: ``kmeans++`` only (``None``: scikit-learn's
            ``2 + int(log(b))``).
        first: ``kmeans++`` only: ``'max_norm'`` (Algorithm 1, line 2) or
            ``'random'`` (uniform, seeded).
    """

    requires = ('prob', 'disc_grad')

    def __init__(self,
                 seed: int = 0,
                 pop: bool = True,
                 diversity: str = 'farthest',
                 eps: float = 1e-12,
                 n_local_trials: Optional[int] = None,
                 first: str = 'max_norm',
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        if diversity not in _DIVERSITY:
            raise ValueError(f'SAGE: diversity must be one of {_DIVERSITY}, '
                             f'got {diversity!r}')
        self.first = check_first(first, 'SAGE')
        self.pop = bool(pop)
        self.diversity = diversity
        self.eps = float(eps)
        self.n_local_trials = n_local_trials

    def _grad(self, pool: UnitPool) -> np.ndarray:
        if pool.prob is None:
            raise ValueError('SAGE needs pool.prob')
        grad = pool.extra('disc_grad')
        if np.ndim(grad) != 3 or np.shape(grad)[1] != pool.num_classes:
            raise ValueError(
                f"SAGE: extras['disc_grad'] must be [N, C, D] with C = "
                f'{pool.num_classes} (one gradient per class), got '
                f'{np.shape(grad)}')
        return grad

    def embedding(self,
                  pool: UnitPool,
                  rows: Optional[np.ndarray] = None) -> np.ndarray:
        """``float32 [len(rows), C * D]`` ``S(x)`` (Eq. 6) of ``rows``.

        Args:
            pool: the pool (``prob`` and ``extras['disc_grad']``, ``[N, C,
                D]``, are read).
            rows: rows of ``pool`` to embed (``None``: all).

        Returns:
            np.ndarray: ``float32 [len(rows), C * D]``.
        """
        return sage_embedding(
            pool.prob, self._grad(pool), pop=self.pop, eps=self.eps, rows=rows)

    def distances(self,
                  pool: UnitPool,
                  rows: Optional[np.ndarray] = None) -> SageSqDist:
        """Squared distances between the ``S(x)`` of ``rows``, implicit.

        Args:
            pool: the pool, as :meth:`embedding`.
            rows: rows of ``pool`` (``None``: all); the distance object
                indexes positions in ``rows``.

        Returns:
            SageSqDist: ``dist(rows, cols) -> float64 [len(rows),
            len(cols)]``, with ``sq`` the squared norms ``||S(x)||^2``.
        """
        return SageSqDist(
            pool.prob, self._grad(pool), rows=rows, pop=self.pop, eps=self.eps)

    def score(self, pool: UnitPool) -> np.ndarray:
        """``||S(x)||`` of every row (the "without diversity" ranking).

        Args:
            pool: the pool, as :meth:`embedding`.

        Returns:
            np.ndarray: ``float64 [N]`` norms.
        """
        return np.sqrt(self.distances(pool).sq)

    def select(self,
               pool: UnitPool,
               budget: int,
               round_idx: int = 1,
               **context: Any) -> Selection:
        """Buy up to ``budget`` images, diverse in the SAGE embedding.

        Args:
            pool: the pool (``prob`` and ``extras['disc_grad']``).
            budget: images to buy (at most the candidates).
            round_idx: the round (seeds ``kmeans++`` and the tie-breaks of
                ``'none'`` with ``seed``).
            **context: what the engine knows besides the pool (unused).

        Returns:
            Selection: picks in order; ``info`` has the number of
            candidates, the diversity rule and ``||S||`` of picks and pool.
        """
        cand, k = self.candidates(pool, budget)
        if k == 0:
            return Selection.empty()
        info = dict(
            num_candidates=int(cand.size),
            diversity=self.diversity,
            pop=self.pop)
        dist = self.distances(pool, cand)
        norm = np.sqrt(dist.sq)
        if self.diversity == 'kmeans++':
            trials = self.n_local_trials
            if trials is None:  # scikit-learn's default
                trials = 2 + int(np.log(k))
            first = int(np.argmax(norm)) if self.first == 'max_norm' else None
            picks = kmeanspp(
                dist,
                k,
                self.rng(round_idx),
                first=first,
                n_local_trials=trials)
            info['first'] = self.first
        elif self.diversity == 'farthest':
            picks, radius = farthest_first(
                dist, k, first=int(np.argmax(norm)), return_dists=True)
            info['radius_at_picks'] = describe(radius[1:])
        else:
            score = np.full(len(pool), -np.inf)
            score[cand] = norm
            picks = np.searchsorted(cand,
                                    self.ranked(pool, score, round_idx)[:k])
        index = take_within_budget(cand[picks], pool.cost, budget)
        info.update(
            spent=int(pool.cost[index].sum()),
            norm_picked=describe(norm[picks]),
            norm_pool=describe(norm))
        return Selection(index, info)
