"""ADA-MCU's online adaptive sampling (Sec. III-B, Algorithm 1)."""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.dist import all_gather, all_gather_object, get_world_size
from mmseg.registry import MODELS
from torch import Tensor, nn

from mmseg_ada.utils.seeding import Key, sample_mask, seeded_generator

#: Group codes of :meth:`MCUAdaptiveSampler.group`.
HIGH, MEDIUM, LOW, INVALID = 2, 1, 0, -1
#: Phases of Algorithm 1.
PHASE_HIGH, PHASE_MEDIUM, PHASE_DONE = 1, 2, 3
DECAY_MODES = ('epoch', 'iteration')
PSEUDO_MODES = ('labelled', 'all', 'none')
#: When pseudo-labels are drawn: ``'spent'`` once buying has stopped
#: (Algorithm 1, line 12), ``'always'`` in every phase (Sec. III-B.2 read
#: per batch).
PSEUDO_STARTS = ('spent', 'always')


def split_quota(desired: Sequence[int], cap: int) -> List[int]:
    """Cut per-image requests down to a total ``cap``, proportionally.

    Args:
        desired (Sequence[int]): Wanted count per image.
        cap (int): Largest total.

    Returns:
        list[int]: ``desired`` if its sum fits, otherwise counts
        proportional to ``desired`` summing to ``max(cap, 0)`` (largest
        remainders first, ties to the lower index), never above ``desired``.
    """
    desired = [max(int(d), 0) for d in desired]
    total = sum(desired)
    cap = max(int(cap), 0)
    if total <= cap:
        return desired
    exact = [d * cap / total for d in desired]
    out = [int(math.floor(e)) for e in exact]
    rest = cap - sum(out)
    order = sorted(range(len(desired)), key=lambda i: (out[i] - exact[i], i))
    for i in order[:rest]:
        out[i] += 1
    return out


def _gather_cat(values: Tensor) -> Tensor:
    """The 1-d ``values`` of every rank, concatenated in rank order.

    Statistics of a batch are taken over the *global* batch, so a run on N
    processes takes the same decisions as one process over the same
    images.
    """
    if get_world_size() == 1:
        return values
    size = torch.tensor([values.numel()], device=values.device)
    sizes = all_gather(size)
    longest = int(max(int(s) for s in sizes))
    padded = values.new_zeros(longest)
    padded[:values.numel()] = values
    parts = all_gather(padded)
    return torch.cat([p[:int(n)] for p, n in zip(parts, sizes)])


def _kth_quantile(values: Tensor, q: float) -> float:
    """The ``q``-quantile (lower, by ``kthvalue``) of a 1-d tensor."""
    n = values.numel()
    k = min(max(int(math.ceil(q * n)), 1), n)
    if values.dtype in (torch.float16, torch.bfloat16):
        values = values.float()  # kthvalue's CPU kernels
    return float(values.kthvalue(k).values)


@MODELS.register_module()
class MCUAdaptiveSampler(nn.Module):
    """Algorithm 1 of ADA-MCU: which target crop pixels to buy, online.

    Pure with respect to the label store: it reads the store's counters
    (``spent``, ``total``) and which crop pixels are already labelled, and
    returns boolean *requests*; the caller buys them (``acq.buy``).  Its
    state (``pi_high``, the iteration counter, the length of phase 1) is
    kept in buffers, so it is checkpointed and resumed with the model.

    **Groups** (Sec. III-B): with the uncertainty ``S`` of Eq. 1,
    ``G_h = {S > pi_high}``, ``G_m = {pi_low <= S <= pi_high}``,
    ``G_l = {S < pi_low}``, for source and target pixels alike
    (:meth:`group`).

    **Phases** (Algorithm 1), from the store's ``M_a = spent`` and
    ``M_e = total`` (identical on every rank, so every rank is in the same
    phase); ``half = ceil(M_e / 2)``:

    1. ``M_a < M_e / 2``: a uniform ``high_sample_ratio`` (0.5, footnote 3)
       of each image's not-yet-labelled ``G_h`` pixels is requested, and
       ``pi_high <- r * pi_high`` at the start of every decay period *after
       the first* (see ``decay``): the first period selects with the initial
       ``pi_high``, the "large value" with which "only around 1% of samples
       are selected as G_h" (Sec. IV-C), and only "then we reduce pi_high".
       The requests of the global batch (all ranks) are cut to
       ``half - M_a`` together, images ordered by key, so phase 1 ends
       exactly at ``M_e / 2`` and N processes cut exactly as one would.
    2. ``M_e / 2 <= M_a < M_e``: ``pi_high`` is frozen and ``medium_per_image``
       pixels are requested per image, uniformly from its unlabelled ``G_m``,
       cut to ``M_e - M_a``.  The paper says "select another M_e/2 samples
       uniformly from G_m" without saying over how many batches; the default
       (``medium_per_image=None``) spreads them at phase 1's average rate,
       ``ceil(half / (phase-1 iterations x images per iteration x world
       size))`` per image, so phase 2 lasts about as long as phase 1 did
       (``medium_fallback_fraction`` of the image's valid pixels when phase
       1 never ran, e.g. a store resumed past it).
    3. ``M_a >= M_e``: nothing is bought.

    **Pseudo-labels** (Algorithm 1, line 12; Sec. III-B.2):
    :meth:`pseudo_masks` picks, per image, ``pseudo_ratio`` times as many
    unlabelled ``G_l`` pixels as the image has labelled pixels.  By default
    (``pseudo_start='spent'``) only once buying has stopped (phase 3):
    Algorithm 1 samples ``G_l`` in its ``else`` branch, after the two
    purchase branches, and the text adds "After that, we stop giving
    annotations and only apply predictions to those samples in G_l as their
    pseudo labels".  ``pseudo_start='always'`` draws them in every phase
    (Sec. III-B.2 read per batch: "for each training batch ... we randomly
    select the same number of pixels in those three groups").  The default
    ``pseudo_ratio=0.5`` is "the same number of pixels in those three
    groups": an image's labels come half from ``G_h`` and half from
    ``G_m`` (``M_e / 2`` each), so ``G_l`` gets as many as each of them,
    half the image's labelled pixels (Algorithm 1: ``M_e / 2`` from
    ``G_l``).  ``pseudo='all'`` takes all of ``G_l`` (the ablation "AL (w/o
    AS)", see ``medium_phase``), ``'none'`` none.

    **Decay: per epoch (default) vs per iteration.**  The text (Sec. IV-C)
    says "in each training epoch ... we decrease pi_high", Algorithm 1
    decays it once per loop body, i.e. per 2+2-image iteration.  Per
    iteration, ``r = 0.9`` shrinks ``pi_high`` 200-fold in 50 iterations, so
    phase 1 would spend half the budget on the first ~100 target images
    visited instead of spreading it over the dataset (the purpose of the
    progressive schedule in Sec. IV-C); hence ``decay='epoch'``, with
    ``epoch_length`` = iterations per pass over the target set
    (``ceil(N_t / (target images per iteration x world size))``).
    ``decay='iteration'`` is Algorithm 1's literal reading (decayed from
    the second loop body on, see phase 1).

    **Thresholds the paper leaves open.**  ``pi_high``'s initial value is "a
    large value" such that "only around 1% of samples are selected as G_h":
    by default (``pi_high=None``) it is calibrated on the first target batch
    to its ``1 - init_high_fraction`` quantile (over the global batch: all
    ranks' pixels, so N processes calibrate as one process would), and the
    first decay period selects with it undecayed, so the first ``G_h`` holds
    ``init_high_fraction`` (1%) of the first batch's pixels.
    ``pi_low`` is never given: by default (``pi_low=None``) it is the
    ``low_quantile`` quantile of the current (global) target batch's
    scores outside ``G_h`` (so ``G_l`` is the most certain half of the
    pixels not in ``G_h`` by default, and ``G_m`` the other half; see
    :meth:`low_threshold`); a fixed value can be set instead (capped at
    ``pi_high``: then ``G_m`` is empty once ``pi_high`` decays below it,
    and phase 2 has nothing to buy).

    Phase 2 only buys from ``G_m``, as the paper says; should ``pi_high``
    have decayed so far in phase 1 that nearly every pixel is in ``G_h``
    (per-iteration decay on a large budget), ``G_m`` is small and phase 2
    slow: the per-epoch default keeps ``pi_high`` high enough.

    **Determinism.**  Every draw uses a ``torch.Generator`` seeded from
    ``(seed, iteration, purpose, image key)`` (the image key is its
    ``img_path``), so every rank and every rerun makes the same choice for
    the same image at the same iteration.

    Args:
        decay_rate (float): ``r`` in ``(0, 1]``. Default: 0.9.
        decay (str): ``'epoch'`` or ``'iteration'``. Default: ``'epoch'``.
        epoch_length (int, optional): Iterations per decay period when
            ``decay='epoch'`` (required then).
        pi_high (float, optional): Initial ``pi_high``; ``None`` calibrates.
        init_high_fraction (float): Target share of ``G_h`` at calibration.
            Default: 0.01.
        pi_low (float, optional): Fixed ``pi_low``; ``None`` uses
            ``low_quantile``.
        low_quantile (float): Quantile of the batch's target scores used as
            ``pi_low``. Default: 0.5.
        high_sample_ratio (float): Share of ``G_h`` requested. Default: 0.5.
        medium_per_image (int, optional): Phase-2 pixels per image; ``None``
            is phase 1's average rate.
        medium_fallback_fraction (float): See phase 2. Default: 0.01.
        pseudo (str): ``'labelled'``, ``'all'`` or ``'none'``.
            Default: ``'labelled'``.
        pseudo_ratio (float): Pseudo-labels per labelled pixel.
            Default: 0.5.
        pseudo_start (str): ``'spent'`` (pseudo-labels once the budget is
            spent, Algorithm 1 line 12) or ``'always'`` (every phase).
            Default: ``'spent'``.
        medium_phase (bool): Phase 2 as in the paper; ``False`` buys the
            whole budget from ``G_h`` in phase 1 (with ``pseudo='all'``: the
            ablation "AL (w/o AS)", which labels "only ... the pixels from
            the high uncertainty group" and pseudo-labels "all of the pixels
            from the low uncertainty group"). Default: True.
        seed (int): Seed of every draw. Default: 0.
    """

    def __init__(self,
                 decay_rate: float = 0.9,
                 decay: str = 'epoch',
                 epoch_length: Optional[int] = None,
                 pi_high: Optional[float] = None,
                 init_high_fraction: float = 0.01,
                 pi_low: Optional[float] = None,
                 low_quantile: float = 0.5,
                 high_sample_ratio: float = 0.5,
                 medium_per_image: Optional[int] = None,
                 medium_fallback_fraction: float = 0.01,
                 pseudo: str = 'labelled',
                 pseudo_ratio: float = 0.5,
                 pseudo_start: str = 'spent',
                 medium_phase: bool = True,
                 seed: int = 0) -> None:
        super().__init__()
        name = type(self).__name__
        if not 0. < float(decay_rate) <= 1.:
            raise ValueError(f'{name}: decay_rate must lie in (0, 1], got '
                             f'{decay_rate}')
        if decay not in DECAY_MODES:
            raise ValueError(f'{name}: decay must be one of {DECAY_MODES}, '
                             f'got {decay!r}')
        if decay == 'epoch' and (epoch_length is None
                                 or int(epoch_length) < 1):
            raise ValueError(
                f"{name}: decay='epoch' needs epoch_length >= 1 (iterations "
                'per pass over the target set, ceil(N_target / (target '
                'images per iteration x world size))), got '
                f'{epoch_length!r}; or use decay="iteration"')
        for key, value, lo, hi in (('init_high_fraction', init_high_fraction,
                                    0., 1.), ('low_quantile', low_quantile, 0.,
                                              1.), ('high_sample_ratio',
                                                    high_sample_ratio, 0., 1.),
                                   ('medium_fallback_fraction',
                                    medium_fallback_fraction, 0., 1.)):
            if not lo < float(value) <= hi:
                raise ValueError(f'{name}: {key} must lie in ({lo}, {hi}], '
                                 f'got {value}')
        for key, value, choices in (('pseudo', pseudo, PSEUDO_MODES),
                                    ('pseudo_start', pseudo_start,
                                     PSEUDO_STARTS)):
            if value not in choices:
                raise ValueError(f'{name}: {key} must be one of {choices}, '
                                 f'got {value!r}')
        if float(pseudo_ratio) < 0:
            raise ValueError(f'{name}: pseudo_ratio must be >= 0, got '
                             f'{pseudo_ratio}')
        if medium_per_image is not None and int(medium_per_image) < 0:
            raise ValueError(f'{name}: medium_per_image must be >= 0, got '
                             f'{medium_per_image}')
        self.decay_rate = float(decay_rate)
        self.decay = decay
        self.epoch_length = int(epoch_length) if epoch_length else None
        self.init_high_fraction = float(init_high_fraction)
        self.pi_low = None if pi_low is None else float(pi_low)
        self.low_quantile = float(low_quantile)
        self.high_sample_ratio = float(high_sample_ratio)
        self.medium_per_image = (None if medium_per_image is None else
                                 int(medium_per_image))
        self.medium_fallback_fraction = float(medium_fallback_fraction)
        self.pseudo = pseudo
        self.pseudo_ratio = float(pseudo_ratio)
        self.pseudo_start = pseudo_start
        self.medium_phase = bool(medium_phase)
        self.seed = int(seed)
        init = float('nan') if pi_high is None else float(pi_high)
        self.register_buffer('pi_high',
                             torch.tensor(init, dtype=torch.float64))
        self.register_buffer('iteration', torch.zeros((), dtype=torch.long))
        self.register_buffer('phase1_iters', torch.zeros((), dtype=torch.long))

    # ------------------------------------------------------------ helpers
    def high_budget(self, total: int) -> int:
        """Pixels bought in phase 1: ``ceil(M_e / 2)`` (all of ``M_e``
        without the medium phase).

        Args:
            total (int): the whole budget ``M_e`` in pixels.

        Returns:
            int: the phase-1 (high-uncertainty) share of ``total``.
        """
        return (int(total) + 1) // 2 if self.medium_phase else int(total)

    def phase_of(self, spent: int, total: int) -> int:
        """Phase of Algorithm 1 for ``M_a = spent`` and ``M_e = total``.

        Args:
            spent (int): pixels bought so far ``M_a``.
            total (int): the whole budget ``M_e``.

        Returns:
            int: ``PHASE_HIGH`` (1) while ``spent`` is below
            :meth:`high_budget`, ``PHASE_MEDIUM`` (2) while below
            ``total``, else ``PHASE_DONE`` (3).
        """
        spent, total = int(spent), int(total)
        if spent < self.high_budget(total):
            return PHASE_HIGH
        if spent < total:
            return PHASE_MEDIUM
        return PHASE_DONE

    @property
    def calibrated(self) -> bool:
        """bool: Whether ``pi_high`` has a value."""
        return not bool(torch.isnan(self.pi_high))

    def low_threshold(self, scores: Tensor, valid: Tensor) -> float:
        """``pi_low`` for a batch, at most ``pi_high``.

        Fixed (``pi_low``), or the ``low_quantile`` quantile of the batch's
        valid scores *not above* ``pi_high``: ``G_l`` is then the most
        certain ``low_quantile`` share of the pixels outside ``G_h`` and
        ``G_m`` the rest, so ``G_m`` cannot vanish when ``pi_high`` decays
        below the batch median (a quantile of all pixels would overtake
        ``pi_high`` and leave phase 2 nothing to buy).

        Args:
            scores (Tensor): ``[B, H, W]`` uncertainty ``S`` of this rank's
                batch.
            valid (Tensor): ``[B, H, W]`` bool, real (non-padded) pixels.

        Returns:
            float: the threshold; the quantile is taken over the valid
            scores of every rank (gathered), ``pi_high`` (or 0 when not
            calibrated) when there are none.
        """
        high = float(self.pi_high) if self.calibrated else float('inf')
        if self.pi_low is not None:
            return min(self.pi_low, high)
        vals = _gather_cat(scores[valid & (scores <= high)])
        if vals.numel() == 0:
            return high if self.calibrated else 0.
        return min(_kth_quantile(vals, self.low_quantile), high)

    def group(self, scores: Tensor, valid: Tensor, pi_high: float,
              pi_low: float) -> Tensor:
        """Uncertainty group of every pixel.

        Args:
            scores (Tensor): ``[B, H, W]`` uncertainty ``S``.
            valid (Tensor): ``[B, H, W]`` bool, real (non-padded) pixels.
            pi_high (float): High threshold.
            pi_low (float): Low threshold.

        Returns:
            Tensor: int64 ``[B, H, W]``: ``HIGH`` (2) where ``S > pi_high``,
            ``LOW`` (0) where ``S < pi_low``, ``MEDIUM`` (1) between,
            ``INVALID`` (-1) where not ``valid``.
        """
        groups = torch.full_like(scores, MEDIUM, dtype=torch.long)
        groups[scores > pi_high] = HIGH
        groups[scores < pi_low] = LOW
        groups[~valid] = INVALID
        return groups

    def _calibrate(self, scores: Tensor, valid: Tensor) -> None:
        vals = _gather_cat(scores[valid])
        self.pi_high.fill_(
            _kth_quantile(vals, 1. -
                          self.init_high_fraction) if vals.numel() else 0.)

    def _decays_now(self, iteration: int) -> bool:
        """Whether ``pi_high`` decays before iteration ``iteration``'s
        selection: at the start of every decay period but the first."""
        period = 1 if self.decay == 'iteration' else self.epoch_length
        return iteration > 0 and iteration % period == 0

    # ---------------------------------------------------------------- API
    @torch.no_grad()
    def plan(self, scores: Tensor, valid: Tensor, labelled: Tensor, spent: int,
             total: int, keys: Sequence[Key]) -> Dict:
        """Decide this iteration's purchases (one call per iteration).

        Advances the iteration counter; in phase 1 decays ``pi_high``
        first at the start of a decay period other than the first
        (Algorithm 1, line 7: decay, then select; the first period selects
        with the initial ``pi_high``, Sec. IV-C).

        Args:
            scores (Tensor): ``[B, H, W]`` target uncertainty ``S``.
            valid (Tensor): ``[B, H, W]`` bool, pixels of a real image
                (``gt_pixel_index >= 0``).
            labelled (Tensor): ``[B, H, W]`` bool, pixels already labelled.
            spent (int): ``M_a``, pixels bought so far (all ranks).
            total (int): ``M_e``, the budget.
            keys (Sequence[int | str]): Per-image seed keys (``img_path``).

        Returns:
            dict: ``iteration`` (the index of this call), ``phase``,
            ``pi_high``, ``pi_low`` (floats), ``groups`` (``[B, H, W]``, see
            :meth:`group`) and ``requests`` (list of ``[H, W]`` bool masks,
            subsets of ``valid & ~labelled``).
        """
        if scores.ndim != 3 or valid.shape != scores.shape or \
                labelled.shape != scores.shape or len(keys) != len(scores):
            raise ValueError(
                f'{type(self).__name__}.plan: scores {tuple(scores.shape)}, '
                f'valid {tuple(valid.shape)}, labelled '
                f'{tuple(labelled.shape)} and {len(keys)} keys must describe '
                'the same [B, H, W] batch')
        it = int(self.iteration)
        phase = self.phase_of(spent, total)
        if not self.calibrated:
            self._calibrate(scores, valid)
        if phase == PHASE_HIGH:
            if self._decays_now(it):
                self.pi_high.mul_(self.decay_rate)
            self.phase1_iters.add_(1)
        pi_high = float(self.pi_high)
        pi_low = self.low_threshold(scores, valid)
        groups = self.group(scores, valid, pi_high, pi_low)
        free = valid & ~labelled
        world = get_world_size()
        if phase == PHASE_HIGH:
            cand = free & (groups == HIGH)
            desired = [
                int(math.ceil(self.high_sample_ratio * int(c.sum())))
                for c in cand
            ]
            cap = self.high_budget(total) - int(spent)
        elif phase == PHASE_MEDIUM:
            cand = free & (groups == MEDIUM)
            desired = [
                self._medium_quota(
                    int(v.sum()), self.high_budget(total),
                    len(scores) * world) for v in valid
            ]
            cap = int(total) - int(spent)
        else:
            cand = torch.zeros_like(free)
            desired = [0] * len(scores)
            cap = 0
        quota = self._global_quota(desired, keys, cap)
        requests = [
            sample_mask(c, q, seeded_generator(self.seed, it, 'buy', key))
            for c, q, key in zip(cand, quota, keys)
        ]
        self.iteration.add_(1)
        return dict(
            iteration=it,
            phase=phase,
            pi_high=pi_high,
            pi_low=pi_low,
            groups=groups,
            requests=requests)

    @staticmethod
    def _global_quota(desired: Sequence[int], keys: Sequence[Key],
                      cap: int) -> List[int]:
        """This rank's share of :func:`split_quota` over the global batch.

        The requests of every rank are split together, images ordered by
        their key, so N processes cut a request exactly as one process
        over the same images would.
        """
        mine = [(str(k), i) for i, k in enumerate(keys)]
        if get_world_size() == 1:
            everyone = [(str(k), int(d)) for k, d in zip(keys, desired)]
        else:
            everyone = [
                x
                for part in all_gather_object([(str(k), int(d))
                                               for k, d in zip(keys, desired)])
                for x in part
            ]
        order = sorted(range(len(everyone)), key=lambda j: everyone[j][0])
        split = split_quota([everyone[j][1] for j in order], max(cap, 0))
        by_key = {everyone[j][0]: q for j, q in zip(order, split)}
        return [by_key[k] for k, _ in mine]

    def _medium_quota(self, num_valid: int, half: int,
                      images_per_iter: int) -> int:
        """Phase-2 pixels per image (see the class docstring)."""
        if self.medium_per_image is not None:
            return self.medium_per_image
        iters = int(self.phase1_iters)
        if iters == 0:
            return int(math.ceil(self.medium_fallback_fraction * num_valid))
        # phase 1's budget over its image visits
        return int(math.ceil(half / (iters * images_per_iter)))

    @torch.no_grad()
    def pseudo_masks(self, plan: Dict, valid: Tensor, labelled: Tensor,
                     keys: Sequence[Key]) -> List[Tensor]:
        """Low-uncertainty pixels to pseudo-label (adaptive sampling).

        Args:
            plan (dict): This iteration's :meth:`plan` output.
            valid (Tensor): ``[B, H, W]`` bool real pixels.
            labelled (Tensor): ``[B, H, W]`` bool, labelled *after* this
                iteration's purchase.
            keys (Sequence[int | str]): Per-image seed keys.

        Returns:
            list[Tensor]: Per image a ``[H, W]`` bool mask inside
            ``G_l & valid & ~labelled``: ``floor(pseudo_ratio x labelled
            pixels of the image + 0.5)`` of them (``pseudo='labelled'``),
            all of them (``'all'``) or none (``'none'``); none at all before
            the budget is spent with ``pseudo_start='spent'``.
        """
        cand = (plan['groups'] == LOW) & valid & ~labelled
        out = []
        active = self.pseudo_start == 'always' or plan['phase'] == PHASE_DONE
        for i, key in enumerate(keys):
            if self.pseudo == 'none' or not active:
                out.append(torch.zeros_like(cand[i]))
                continue
            if self.pseudo == 'all':
                out.append(cand[i].clone())
                continue
            n = int((labelled[i] & valid[i]).sum())
            k = int(math.floor(self.pseudo_ratio * n + 0.5))
            out.append(
                sample_mask(
                    cand[i], k,
                    seeded_generator(self.seed, plan['iteration'], 'pseudo',
                                     key)))
        return out

    def extra_repr(self) -> str:
        """The settings shown in the module's ``repr``."""
        return (f'decay_rate={self.decay_rate}, decay={self.decay!r}, '
                f'epoch_length={self.epoch_length}, pi_low={self.pi_low}, '
                f'low_quantile={self.low_quantile}, '
                f'high_sample_ratio={self.high_sample_ratio}, '
                f'pseudo={self.pseudo!r}, pseudo_ratio={self.pseudo_ratio}, '
                f'pseudo_start={self.pseudo_start!r}, '
                f'medium_phase={self.medium_phase}, '
                f'seed={self.seed}')
