"""ADA-MCU's multi-level contrastive units (Sec. III-C, Eq. 9-11)."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor, nn

from mmseg_ada.utils.seeding import seeded_generator
from ..utils.mcu_adaptive_sampler import HIGH, LOW, MEDIUM
from ..utils.mcu_anchors import (cap_per_class, class_centres,
                                 gather_pixel_features, pixel_sampling_grid)
from .dccm import DCCM
from .weighted_info_nce import weighted_info_nce

LEVELS = ('intra', 'cross_image', 'cross_domain')
KINDS = ('p2p', 'c2c')
DOMAINS = ('source', 'target')
#: Keys every view of :meth:`MCUContrastiveLoss.forward` must have.
VIEW_KEYS = ('feat', 'label', 'pred', 'anchor_eligible', 'groups',
             'centre_label', 'domain', 'key')


@MODELS.register_module()
class MCUContrastiveLoss(nn.Module):
    """Multi-level contrastive units: three levels x (p2p, c2c).

    Every image of the batch is a *view* (see :meth:`forward`).  From each
    view, with seeded draws capped per class (bounded memory):

    * **anchors** (Sec. III-C.1): labelled pixels the model mispredicts
      among the view's ``anchor_eligible`` pixels (source: all labelled
      pixels; target: the bought pixels of the high-uncertainty group), at
      most ``max_anchors_per_class`` per class;
    * **samples** (Sec. III-C.2): labelled pixels (source ground truth;
      target bought labels and pseudo-labels), at most
      ``max_samples_per_class`` per class; a sample with the anchor's label
      is a positive, any other a negative;
    * **centres** (Sec. III-B.1): per class, the mean embedding of *all*
      the low-uncertainty pixels (``G_l``) of the class (source: ground
      truth; target: pseudo-label), taken on the feature map's own grid
      (each feature cell stands for the full-resolution pixel at its
      centre: ``G_l`` is dense, so nothing is lost, and no draw is needed),
      per image and per domain (all images of the domain of the batch).

    Levels (anchors from one image; positives/negatives from):
    ``intra`` the same image; ``cross_image`` the next image of the same
    domain (the other one, with 2 per domain); ``cross_domain`` the image at
    the same batch position in the other domain (both directions).  p2p is
    Eq. 9-10 with these pixels; c2c is Eq. 11 with centres as anchors and
    samples: ``cross_image`` image ``G_l`` centres vs the partner's,
    ``cross_domain`` the domain ``G_l`` centres vs the other domain's
    ("the aggregation of those pixels in the low uncertainty group for each
    domain"), and ``intra`` - where the paper names no second set of
    centres - the centres of the image's *uncertain labelled* pixels
    (ground truth in ``G_h`` or ``G_m``, from the drawn samples, which hold
    every class's sparse bought pixels) vs its ``G_l`` centres, pulling the
    uncertain part of a class towards its confident part (switch it off
    with ``units`` for the other reading, c2c only across images/domains).

    Aggregation (unstated in the paper): per unit (level x kind) the mean
    over its anchors that have a positive and a negative; the total is the
    sum over units times ``loss_weight`` (the paper: unit weights).  A unit
    without a usable anchor gives an exact zero that still touches the
    features (every parameter keeps a gradient under DDP).  The intra-image
    p2p leaves an anchor's own pixel out of its positives.

    Embeddings are L2-normalised (``normalize=True``): the paper writes raw
    dot products, whose ``exp`` overflows on unnormalised 256-d features.
    Pixel features are read at full-resolution positions by bilinear
    sampling of the feature map (:func:`gather_pixel_features`), so sparse
    bought pixels are not lost to a downsampled label map.

    Args:
        num_classes (int): ``C``.
        temperature (float): ``lambda`` (not given by the paper; 0.1 as in
            the pixel-contrast work it follows). Default: 0.1.
        units (Sequence[str]): Enabled units as ``'<level>_<kind>'``, e.g.
            ``('intra_p2p', 'cross_image_p2p')``; default all six.
        loss_weight (float): Weight of every unit. Default: 1.
        max_anchors_per_class (int): Cap per class and view (image).
            Default: 12: at most 4 x 19 x 12 = 912 anchors in a 2+2 batch,
            about the 1024 anchors per batch of the pixel-contrast work the
            paper follows ([25] there; e.g. Wang et al., ICCV 2021); the
            paper gives none.
        max_samples_per_class (int): Cap per class and view. Default: 32
            (up to 608 samples per image and level for 19 classes).  Both
            caps also bound the cost: ``benchmarks/mcu.py``.
        normalize (bool): L2-normalise embeddings and centres.
            Default: True.
        detach_centres (bool): Stop gradients through centres.
            Default: False.
        ignore_index (int): Unlabelled value. Default: 255.
        seed (int): Seed of the draws. Default: 0.
    """

    def __init__(self,
                 num_classes: int,
                 temperature: float = 0.1,
                 units: Optional[Sequence[str]] = None,
                 loss_weight: float = 1.0,
                 max_anchors_per_class: int = 12,
                 max_samples_per_class: int = 32,
                 normalize: bool = True,
                 detach_centres: bool = False,
                 ignore_index: int = 255,
                 seed: int = 0) -> None:
        super().__init__()
        name = type(self).__name__
        all_units = tuple(f'{lv}_{k}' for lv in LEVELS for k in KINDS)
        units = all_units if units is None else tuple(units)
        bad = [u for u in units if u not in all_units]
        if bad:
            raise ValueError(f'{name}: unknown units {bad}; choose from '
                             f'{all_units}')
        if float(temperature) <= 0:
            raise ValueError(f'{name}: temperature must be > 0, got '
                             f'{temperature}')
        for key, value in (('max_anchors_per_class', max_anchors_per_class),
                           ('max_samples_per_class', max_samples_per_class)):
            if int(value) < 1:
                raise ValueError(f'{name}: {key} must be >= 1, got {value}')
        self.num_classes = int(num_classes)
        self.temperature = float(temperature)
        self.units = tuple(u for u in all_units if u in units)
        self.loss_weight = float(loss_weight)
        self.max_anchors_per_class = int(max_anchors_per_class)
        self.max_samples_per_class = int(max_samples_per_class)
        self.normalize = bool(normalize)
        self.detach_centres = bool(detach_centres)
        self.ignore_index = int(ignore_index)
        self.seed = int(seed)
        # flat grid-centre indices per (label size, feature size, device)
        # and the pixels' sampling coordinates per (label size,
        # align_corners, dtype, device): pure functions of the shapes,
        # built once
        self._grid_cache: Dict[tuple, Tensor] = {}

    @property
    def needs_p2p(self) -> bool:
        """bool: Whether a pixel-to-pixel unit is enabled."""
        return any(u.endswith('p2p') for u in self.units)

    @property
    def needs_c2c(self) -> bool:
        """bool: Whether a centre-to-centre unit is enabled."""
        return any(u.endswith('c2c') for u in self.units)

    # ------------------------------------------------------------ sampling
    def _embed(self, feats: Tensor) -> Tensor:
        return F.normalize(feats, dim=1) if self.normalize else feats

    def _centres(self, feats: Tensor, labels: Tensor) -> Tuple[Tensor, Tensor]:
        centres, classes = class_centres(feats, labels, self.num_classes)
        if self.normalize:
            centres = F.normalize(centres, dim=1)
        if self.detach_centres:
            centres = centres.detach()
        return centres, classes

    def _pick(self, view: dict, mask: Tensor, labels: Tensor, cap: int,
              role: str, iteration: int, pos: int) -> Tuple[Tensor, Tensor]:
        """Draw pixels (capped per class); their embeddings and flat
        indices."""
        g = seeded_generator(self.seed, iteration, role, view['key'], pos)
        idx = cap_per_class(mask, labels, cap, g)
        size, align = tuple(mask.shape), view.get('align_corners', False)
        feat = view['feat']
        key = ('coords', size, bool(align), feat.dtype, str(feat.device))
        if key not in self._grid_cache:
            self._grid_cache[key] = pixel_sampling_grid(
                size, align, feat.dtype, feat.device)
        feats = gather_pixel_features(feat, idx, size, align,
                                      self._grid_cache[key])
        return self._embed(feats), idx

    def _grid_index(self, view: dict) -> Tensor:
        """Flat indices of the full-resolution pixels at the centres of the
        feature grid's cells."""
        height, width = view['label'].shape
        fh, fw = view['feat'].shape[1:]
        dev = view['label'].device
        key = (height, width, fh, fw, str(dev))
        if key not in self._grid_cache:
            ys = ((torch.arange(fh, device=dev) + 0.5) * height / fh).long()
            xs = ((torch.arange(fw, device=dev) + 0.5) * width / fw).long()
            ys, xs = ys.clamp(max=height - 1), xs.clamp(max=width - 1)
            self._grid_cache[key] = (ys.unsqueeze(1) * width +
                                     xs.unsqueeze(0)).reshape(-1)
        return self._grid_cache[key]

    def _grid_low(self, view: dict, flat: Tensor,
                  groups: Tensor) -> Tuple[Tensor, Tensor]:
        """Embeddings and classes of the ``G_l`` cells of the feature
        grid (a cell reads the full-resolution pixel at its centre)."""
        feat = view['feat']
        clab = view['centre_label'].reshape(-1).index_select(0, flat)
        mask = (groups == LOW) & (clab != self.ignore_index)
        return self._embed(feat.reshape(feat.shape[0], -1)[:, mask].t()), \
            clab[mask]

    @staticmethod
    def _groups_at(view: dict, flat_index: Tensor) -> Tensor:
        """Uncertainty groups of the view's pixels ``flat_index``."""
        groups = view['groups']
        if callable(groups):
            return groups(flat_index)
        return groups.reshape(-1).index_select(0, flat_index)

    def sample_view(self, view: dict, iteration: int, pos: int) -> dict:
        """Anchors, samples and centres of one view (seeded).

        Args:
            view (dict): See :meth:`forward`.
            iteration (int): Iteration (seed key).
            pos (int): Position of the view in the batch (seed key).

        Returns:
            dict: ``anchors`` / ``anchor_labels`` / ``anchor_preds`` /
            ``anchor_index``, ``samples`` / ``sample_labels`` /
            ``sample_index``, ``low_feats`` / ``low_labels`` (the ``G_l``
            cells of the feature grid), ``centres`` / ``centre_classes``
            (``G_l`` centres) and ``unc_centres`` / ``unc_classes``
            (uncertain-labelled centres).
        """
        lab, pred = view['label'], view['pred']
        labelled = lab != self.ignore_index
        out = {}
        if self.needs_p2p:
            # anchor_mask(lab, pred, eligible), sharing the labelled mask
            amask = view['anchor_eligible'] & labelled & (pred != lab)
            out['anchors'], idx = self._pick(view, amask, lab,
                                             self.max_anchors_per_class,
                                             'anchor', iteration, pos)
            out['anchor_index'] = idx
            # index_select: the same gathers as [idx], faster
            out['anchor_labels'] = lab.reshape(-1).index_select(0, idx)
            out['anchor_preds'] = pred.reshape(-1).index_select(0, idx)
        if self.needs_p2p or 'intra_c2c' in self.units:
            out['samples'], idx = self._pick(view, labelled, lab,
                                             self.max_samples_per_class,
                                             'sample', iteration, pos)
            out['sample_index'] = idx
            out['sample_labels'] = lab.reshape(-1).index_select(0, idx)
        if self.needs_c2c:
            # one groups query per view: grid cells (+ samples, intra c2c)
            grid = self._grid_index(view)
            intra = 'intra_c2c' in self.units
            flat = torch.cat([grid, out['sample_index']]) if intra else grid
            groups = self._groups_at(view, flat)
            out['low_feats'], out['low_labels'] = self._grid_low(
                view, grid, groups[:len(grid)])
            out['centres'], out['centre_classes'] = self._centres(
                out['low_feats'], out['low_labels'])
            if intra:
                g = groups[len(grid):]
                unc = (g == HIGH) | (g == MEDIUM)
                out['unc_centres'], out['unc_classes'] = self._centres(
                    out['samples'][unc], out['sample_labels'][unc])
        return out

    # ---------------------------------------------------------------- loss
    def _weights(self, dccm: Optional[DCCM], labels: Tensor,
                 preds: Optional[Tensor],
                 sample_labels: Tensor) -> Optional[Tensor]:
        if dccm is None:
            return None
        if dccm.pairing == 'pair':
            return dccm.pair_weights(labels, sample_labels)
        if preds is None:  # a centre: no prediction
            return dccm.class_error(labels)
        return dccm.anchor_weights(labels, preds)

    def _p2p(self, i, p, picks, partners, levels, dccm, add) -> None:
        """The p2p units of view ``i``'s anchors: one logit matrix against
        the samples of all its partners (one set per level)."""
        levels = [lv for lv in levels if partners[lv] is not None]
        if not levels or len(p['anchors']) == 0:
            return
        sets = [picks[partners[lv]] for lv in levels]
        samples = torch.cat([q['samples'] for q in sets])
        labels = torch.cat([q['sample_labels'] for q in sets])
        groups = torch.cat([
            torch.full_like(q['sample_labels'], k) for k, q in enumerate(sets)
        ])
        # an anchor is not its own positive (same image only)
        ids = torch.cat([
            q['sample_index'] if partners[lv] == i else torch.full_like(
                q['sample_index'], -1) for lv, q in zip(levels, sets)
        ])
        loss, valid = weighted_info_nce(
            p['anchors'], p['anchor_labels'], samples, labels,
            self.temperature,
            self._weights(dccm, p['anchor_labels'], p['anchor_preds'], labels),
            (p['anchor_index'], ids), groups, len(levels))
        # one count of the usable anchors per level, one read
        n_valid = valid.sum(0).tolist()
        for k, (lv, column) in enumerate(zip(levels, loss.unbind(1))):
            add(f'{lv}_p2p', (column.sum(), n_valid[k]))

    def _c2c(self, views, picks, same, dccm, add) -> None:
        """All c2c units in one logit matrix: every centre anchor set
        against its own set of centres (Eq. 11)."""
        sets = [(p['centres'], p['centre_classes']) for p in picks]
        dom_set = {}
        if 'cross_domain_c2c' in self.units:
            for d in DOMAINS:
                ids = [i for i, v in enumerate(views) if v['domain'] == d]
                if ids:
                    dom_set[d] = len(sets)
                    sets.append(
                        self._centres(
                            torch.cat([picks[i]['low_feats'] for i in ids]),
                            torch.cat([picks[i]['low_labels'] for i in ids])))
        jobs = []  # (unit, anchors, anchor classes, set)
        for i, p in enumerate(picks):
            if 'intra_c2c' in self.units:
                jobs.append(
                    ('intra_c2c', p['unc_centres'], p['unc_classes'], i))
            if 'cross_image_c2c' in self.units and i in same:
                jobs.append(('cross_image_c2c', p['centres'],
                             p['centre_classes'], same[i]))
        if len(dom_set) == 2:
            for d, o in (('source', 'target'), ('target', 'source')):
                cen, cls = sets[dom_set[d]]
                jobs.append(('cross_domain_c2c', cen, cls, dom_set[o]))
        jobs = [j for j in jobs if len(j[1]) and len(sets[j[3]][0])]
        if not jobs:
            return
        anchors = torch.cat([j[1] for j in jobs])
        a_cls = torch.cat([j[2] for j in jobs])
        samples = torch.cat([c for c, _ in sets])
        s_cls = torch.cat([k for _, k in sets])
        groups = torch.cat(
            [torch.full_like(k, g) for g, (_, k) in enumerate(sets)])
        loss, valid = weighted_info_nce(
            anchors, a_cls, samples, s_cls, self.temperature,
            self._weights(dccm, a_cls, None, s_cls), None, groups, len(sets))
        # usable anchors per job, counted at once: entry (row, job's set)
        lens = torch.tensor([len(j[1]) for j in jobs])
        per_row = torch.repeat_interleave(
            torch.tensor([j[3] for j in jobs]), lens).to(valid.device)
        job_of_row = torch.repeat_interleave(torch.arange(len(jobs)),
                                             lens).to(valid.device)
        n_valid = torch.zeros(
            len(jobs), dtype=torch.long, device=valid.device).index_add_(
                0, job_of_row,
                valid.gather(1, per_row.unsqueeze(1)).squeeze(1).long())
        start = 0
        for (unit, cen, _, g), count in zip(jobs, n_valid.tolist()):
            add(unit, (loss[start:start + len(cen), g].sum(), count))
            start += len(cen)

    @staticmethod
    def _partners(views: List[dict]) -> Tuple[Dict[int, int], Dict[int, int]]:
        """Same-domain (next image) and cross-domain (same position)
        partners of every view."""
        by_dom = {
            d: [i for i, v in enumerate(views) if v['domain'] == d]
            for d in DOMAINS
        }
        same, cross = {}, {}
        for d, other in (('source', 'target'), ('target', 'source')):
            ids, oth = by_dom[d], by_dom[other]
            for k, i in enumerate(ids):
                if len(ids) > 1:
                    same[i] = ids[(k + 1) % len(ids)]
                if oth:
                    cross[i] = oth[k % len(oth)]
        return same, cross

    def forward(self,
                views: List[dict],
                dccm: Optional[DCCM] = None,
                iteration: int = 0) -> Dict[str, Tensor]:
        """All enabled units on a batch.

        Args:
            views (list[dict]): One per image, with ``feat`` (``[D, h, w]``
                embedding map), ``label`` (``[H, W]`` int64, ignore where
                unlabelled), ``pred`` (``[H, W]`` argmax), ``anchor_eligible``
                (``[H, W]`` bool), ``groups`` (uncertainty groups of the
                sampler, ``[H, W]`` int64 or a callable mapping flat pixel
                indices to them: only the pixels read are then computed),
                ``centre_label`` (``[H, W]``, class of ``G_l`` pixels for
                centres), ``domain``
                (``'source'``/``'target'``), ``key`` (seed key) and
                optionally ``align_corners``.
            dccm (DCCM, optional): Weights of Eq. 10; ``None`` = plain
                InfoNCE (Eq. 12).
            iteration (int): Seed key of the draws.

        Returns:
            dict: ``loss_con_<unit>`` per enabled unit and ``con_anchors``
            (number of usable p2p anchors, not a loss).
        """
        for i, view in enumerate(views):
            missing = [k for k in VIEW_KEYS if k not in view]
            if missing:
                raise KeyError(f'{type(self).__name__}: view {i} misses '
                               f'{missing}')
            if view['domain'] not in DOMAINS:
                raise ValueError(f"view {i}: domain must be one of "
                                 f"{DOMAINS}, got {view['domain']!r}")
        zero = sum(v['feat'].sum() for v in views) * 0.
        picks = [
            self.sample_view(v, iteration, i) for i, v in enumerate(views)
        ]
        same, cross = self._partners(views)
        sums = {u: [zero, 0] for u in self.units}

        def add(unit, value):
            sums[unit][0] = sums[unit][0] + value[0]
            sums[unit][1] += int(value[1])

        p2p_levels = [lv for lv in LEVELS if f'{lv}_p2p' in self.units]
        for i, p in enumerate(picks):
            partners = dict(
                intra=i, cross_image=same.get(i), cross_domain=cross.get(i))
            if p2p_levels:
                self._p2p(i, p, picks, partners, p2p_levels, dccm, add)
        if self.needs_c2c:
            self._c2c(views, picks, same, dccm, add)
        losses = {}
        for unit, (total, count) in sums.items():
            losses[f'loss_con_{unit}'] = self.loss_weight * (
                total / count if count else zero)
        n_anchors = sum(
            int(p['anchor_labels'].numel()) for p in picks
            if 'anchor_labels' in p)
        losses['con_anchors'] = zero.detach() + n_anchors
        return losses
