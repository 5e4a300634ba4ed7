"""Implementations of ADA-MCU's training step before issue 19's speed work,
kept verbatim (from commit afa80f7) as the references of the tests that
check the faster code gives the same picks, losses and weights bit for bit.

Patch them over the package's names (see ``reference_patches``; methods
onto their classes) to train with the old code.
``gather_pixel_features`` takes (and ignores) the new ``grid`` argument.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg_ada.models.utils.mcu_adaptive_sampler import HIGH, LOW, MEDIUM
from mmseg_ada.models.utils.mcu_anchors import anchor_mask
from mmseg_ada.utils.seeding import seeded_generator

DOMAINS = ('source', 'target')


def class_argmax(logits: Tensor) -> Tensor:
    """The segmentor's prediction before :func:`~mmseg_ada.models.utils.
    class_argmax`."""
    return logits.max(1).indices


def _first_k_per_class(idx: Tensor, lab: Tensor, k: int,
                       generator: Optional[torch.Generator]) -> Tensor:
    """Uniform ``k`` per class of ``idx`` by a random order and a sort."""
    perm = torch.randperm(idx.numel(), generator=generator).to(idx.device)
    idx, lab = idx[perm], lab[perm]
    lab_sorted, order = torch.sort(lab, stable=True)
    idx = idx[order]
    # rank of every element within its class
    pos = torch.arange(lab_sorted.numel(), device=idx.device)
    first = torch.ones_like(lab_sorted, dtype=torch.bool)
    first[1:] = lab_sorted[1:] != lab_sorted[:-1]
    start = torch.cummax(torch.where(first, pos, torch.zeros_like(pos)),
                         0).values
    return idx[(pos - start) < k]


def cap_per_class(mask: Tensor,
                  labels: Tensor,
                  k: int,
                  generator: Optional[torch.Generator],
                  oversample: float = 4.) -> Tensor:
    """At most ``k`` pixels of each class of ``mask``, uniformly at random.

    Exact: every class keeps ``min(k, n_c)`` of its ``n_c`` candidates, a
    uniformly random subset.  Dense masks are first thinned (each pixel of
    class ``c`` kept with probability ``min(1, oversample * k / n_c)``, an
    exchangeable draw, so the survivors of a class are a uniform subset),
    then ``k`` per class are drawn from the survivors; a class left with
    fewer than ``min(k, n_c)`` survivors (vanishingly rare at
    ``oversample=4``) is redrawn without thinning.  This avoids sorting
    every candidate of a full-resolution mask.

    Args:
        mask (Tensor): ``[H, W]`` bool candidates.
        labels (Tensor): ``[H, W]`` int64 class (``>= 0``) of every pixel.
        k (int): Cap per class (``< 0``: no cap).
        generator (torch.Generator): CPU generator of the draw.
        oversample (float): Thinning factor (``<= 0``: no thinning).

    Returns:
        Tensor: Flat int64 indices (into ``H * W``) of the kept pixels,
        sorted.
    """
    flat = mask.reshape(-1)
    if k < 0:
        return flat.nonzero().squeeze(1)
    # class + 1 on candidates, 0 elsewhere: one bincount counts both
    key = (labels.reshape(-1) + 1) * flat
    counts = torch.bincount(key)
    n = int(flat.numel() - counts[0])
    if n == 0:
        return flat.nonzero().squeeze(1)
    counts[0] = 0
    # thin only when it removes most candidates
    if oversample > 0 and 2 * int(
            counts.clamp(max=int(oversample * k) + 1).sum()) < n:
        prob = (oversample * k / counts.clamp_min(1).double()).clamp(max=1.)
        prob[0] = 0.
        u = torch.rand(
            flat.numel(), generator=generator,
            dtype=torch.float64).to(flat.device)
        idx = (u < prob.to(flat.device)[key]).nonzero().squeeze(1)
        got = torch.bincount(key[idx], minlength=counts.numel())
        if bool((got >= counts.clamp(max=k)).all()):
            return _first_k_per_class(idx, key[idx], k,
                                      generator).sort().values
    idx = flat.nonzero().squeeze(1)
    return _first_k_per_class(idx, key[idx], k, generator).sort().values


def _positive_pairs(anchor_keys: Tensor,
                    sample_keys: Tensor) -> Tuple[Tensor, Tensor]:
    """All (anchor, sample) index pairs with equal keys, in O(pairs)."""
    order = torch.argsort(sample_keys, stable=True)
    num = int(max(int(anchor_keys.max()), int(sample_keys.max()))) + 1
    counts = torch.bincount(sample_keys, minlength=num)
    starts = torch.cumsum(counts, 0) - counts
    per_anchor = counts[anchor_keys]
    ai = torch.repeat_interleave(
        torch.arange(len(anchor_keys), device=anchor_keys.device), per_anchor)
    offsets = torch.cumsum(per_anchor, 0) - per_anchor
    rank = torch.arange(len(ai), device=ai.device) - offsets[ai]
    si = order[starts[anchor_keys[ai]] + rank]
    return ai, si


def weighted_info_nce(anchors: Tensor,
                      anchor_labels: Tensor,
                      samples: Tensor,
                      sample_labels: Tensor,
                      temperature: float,
                      weights: Optional[Tensor] = None,
                      exclude_ids: Optional[Tuple[Tensor, Tensor]] = None,
                      sample_groups: Optional[Tensor] = None,
                      num_groups: int = 1) -> Tuple[Tensor, Tensor]:
    """Per-anchor contrastive loss of Eq. 9/11 with ``H`` of Eq. 10.

    For anchor ``a`` with positives ``P_a`` (samples of its label) and
    negatives ``N_a`` (samples of another label), with
    ``l_as = w_as * (a . s) / temperature``::

        L_a = 1/|P_a| * sum_{p in P_a} -log( exp(l_ap) /
                                 (exp(l_ap) + sum_{n in N_a} exp(l_an)) )

    (every positive gets its own term; other positives are not in the
    denominator).  ``w`` is 1 (Eq. 12), one scalar per anchor, or one per
    pair (see :class:`~mmseg_ada.models.losses.DCCM`).  With
    ``sample_groups`` the samples form ``num_groups`` separate sets (e.g.
    the same image, another image, the other domain) and every anchor gets
    one loss per set, its positives and negatives taken from that set only,
    from one logit matrix.

    Cost: the negatives' sums come from one ``exp`` of the logit matrix
    (shifted by its row maxima) summed per (set, class) of the samples
    (``[A, G x C]`` sums, the anchor's own class left out, so no
    cancellation), and the positive terms are computed on the positive
    pairs only; a scalar weight per anchor scales the anchors before the
    product.  Entries whose shifted negatives' sum (nearly) underflows (a
    positive far above every negative: not with L2-normalised embeddings at
    usual temperatures) are recomputed exactly with a masked logsumexp.

    Args:
        anchors (Tensor): ``[A, D]`` anchor embeddings.
        anchor_labels (Tensor): int64 ``[A]`` (``>= 0``).
        samples (Tensor): ``[S, D]`` positive/negative candidates.
        sample_labels (Tensor): int64 ``[S]`` (``>= 0``).
        temperature (float): ``lambda > 0``.
        weights (Tensor, optional): ``[A]`` or ``[A, S]`` DCCM weights.
        exclude_ids (tuple[Tensor, Tensor], optional): ``([A], [S])`` ids
            (e.g. flat pixel indices, -1 for none); a positive pair with
            equal ids (an anchor and its own pixel) is left out.
        sample_groups (Tensor, optional): int64 ``[S]`` set of every sample
            in ``[0, num_groups)``; ``None``: one set.
        num_groups (int): Number of sets. Default: 1.

    Returns:
        tuple[Tensor, Tensor]: Losses and a bool mask of the (anchor, set)
        pairs that have at least one positive and one negative (the loss of
        the others is 0 and should not be averaged in); ``[A]`` each without
        ``sample_groups``, ``[A, num_groups]`` with.
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    grouped = sample_groups is not None
    n_a, n_g = len(anchors), (int(num_groups) if grouped else 1)
    shape = (n_a, n_g) if grouped else (n_a, )
    zeros = anchors.new_zeros(n_a * n_g)
    if n_a == 0 or len(samples) == 0:
        return zeros.view(shape), torch.zeros(
            shape, dtype=torch.bool, device=anchors.device)
    if sample_groups is None:
        sample_groups = torch.zeros_like(sample_labels)
    if weights is not None:
        weights = weights.to(anchors.dtype)
    if weights is None or weights.ndim == 1:
        scale = 1. / temperature if weights is None else \
            (weights / temperature).unsqueeze(1)
        logits = (anchors * scale) @ samples.t()
    else:
        logits = (anchors @ samples.t()) * (weights / temperature)
    n_c = int(max(int(anchor_labels.max()), int(sample_labels.max()))) + 1
    skey = sample_groups * n_c + sample_labels  # (set, class) of a sample
    row_max = logits.detach().amax(1, keepdim=True)
    class_sums = logits.new_zeros(n_a, n_g * n_c).index_add(
        1, skey, torch.exp(logits - row_max)).view(n_a, n_g, n_c)
    other = torch.ones_like(class_sums).scatter_(
        2,
        anchor_labels.view(n_a, 1, 1).expand(n_a, n_g, 1), 0.)
    neg_sum = (class_sums * other).sum(2)  # [A, G]
    tiny = torch.finfo(logits.dtype).tiny
    neg_lse = torch.log(neg_sum.clamp_min(tiny)) + row_max
    counts = torch.bincount(skey, minlength=n_g * n_c).view(n_g, n_c)
    n_neg = counts.sum(1).unsqueeze(0) - counts[:, anchor_labels].t()
    # (anchor, set) entries whose negatives' sum (nearly) underflowed
    bad = (neg_sum < tiny * 2**40) & (n_neg > 0)
    if bool(bad.any()):
        rows, grp = bad.nonzero(as_tuple=True)
        neg = (anchor_labels[rows].unsqueeze(1) != sample_labels) & (
            grp.unsqueeze(1) == sample_groups)
        exact = torch.logsumexp(
            logits[rows].masked_fill(~neg, float('-inf')), dim=1)
        neg_lse = neg_lse.index_put((rows, grp), exact)
    # positives: same set and class; one term per pair
    groups = torch.arange(n_g, device=anchors.device)
    akey = (groups.view(1, n_g) * n_c + anchor_labels.view(n_a, 1))
    flat_a, si = _positive_pairs(akey.reshape(-1), skey)  # a * G + g
    if exclude_ids is not None:
        keep = exclude_ids[0][flat_a // n_g] != exclude_ids[1][si]
        flat_a, si = flat_a[keep], si[keep]
    ai, gi = flat_a // n_g, flat_a % n_g
    lp = logits[ai, si]
    # -log(e^l / (e^l + sum_n e^n)) = logaddexp(l, lse_n) - l
    term = torch.logaddexp(lp, neg_lse[ai, gi]) - lp
    n_pos = torch.bincount(flat_a, minlength=n_a * n_g)
    valid = (n_pos > 0) & (n_neg.reshape(-1) > 0)
    loss = zeros.index_add(0, flat_a, term) / n_pos.clamp_min(1).to(
        zeros.dtype)
    loss = torch.where(valid, loss, zeros)
    return loss.view(shape), valid.view(shape)


def gather_pixel_features(feat: Tensor,
                          flat_index: Tensor,
                          out_size: Tuple[int, int],
                          align_corners: bool = False,
                          grid: Optional[Tensor] = None) -> Tensor:
    """Features of full-resolution pixels from a low-resolution map.

    Equal to bilinearly resizing ``feat`` to ``out_size`` (as mmseg's
    ``resize``) and reading the pixels ``flat_index``, without building the
    full-resolution map (``grid_sample`` at the pixel centres).

    Args:
        feat (Tensor): ``[D, h, w]`` feature map.
        flat_index (Tensor): int64 ``[N]`` indices into ``H * W``.
        out_size (tuple[int, int]): ``(H, W)`` of the pixel grid.
        align_corners (bool): As in the resize it replaces.
        grid (Tensor, optional): Ignored (the faster code's coordinate
            table; the reference computes them).

    Returns:
        Tensor: ``[N, D]`` features.
    """
    d = feat.shape[0]
    if flat_index.numel() == 0:
        return feat.new_zeros((0, d))
    height, width = out_size
    y = torch.div(flat_index, width, rounding_mode='floor').to(feat.dtype)
    x = (flat_index % width).to(feat.dtype)
    if align_corners:
        gy = 2 * y / max(height - 1, 1) - 1
        gx = 2 * x / max(width - 1, 1) - 1
    else:
        gy = (2 * y + 1) / height - 1
        gx = (2 * x + 1) / width - 1
    grid = torch.stack([gx, gy], dim=-1).view(1, 1, -1, 2)
    out = F.grid_sample(
        feat[None],
        grid,
        mode='bilinear',
        padding_mode='border',
        align_corners=align_corners)
    return out[0, :, 0].t()


# MCUContrastiveLoss methods (patched onto the class)
def _pick(self, view: dict, mask: Tensor, labels: Tensor, cap: int, role: str,
          iteration: int, pos: int) -> Tuple[Tensor, Tensor]:
    """Draw pixels (capped per class); their embeddings and flat
    indices."""
    g = seeded_generator(self.seed, iteration, role, view['key'], pos)
    idx = cap_per_class(mask, labels, cap, g)
    feats = gather_pixel_features(view['feat'], idx, tuple(mask.shape),
                                  view.get('align_corners', False))
    return self._embed(feats), idx


def _p2p(self, i, p, picks, partners, levels, dccm, add) -> None:
    """The p2p units of view ``i``'s anchors: one logit matrix against
    the samples of all its partners (one set per level)."""
    levels = [lv for lv in levels if partners[lv] is not None]
    if not levels or len(p['anchors']) == 0:
        return
    sets = [picks[partners[lv]] for lv in levels]
    samples = torch.cat([q['samples'] for q in sets])
    labels = torch.cat([q['sample_labels'] for q in sets])
    groups = torch.cat(
        [torch.full_like(q['sample_labels'], k) for k, q in enumerate(sets)])
    # an anchor is not its own positive (same image only)
    ids = torch.cat([
        q['sample_index'] if partners[lv] == i else torch.full_like(
            q['sample_index'], -1) for lv, q in zip(levels, sets)
    ])
    loss, valid = weighted_info_nce(
        p['anchors'], p['anchor_labels'], samples, labels, self.temperature,
        self._weights(dccm, p['anchor_labels'], p['anchor_preds'], labels),
        (p['anchor_index'], ids), groups, len(levels))
    for k, lv in enumerate(levels):
        add(f'{lv}_p2p', (loss[:, k].sum(), valid[:, k].sum()))


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
            jobs.append(('intra_c2c', p['unc_centres'], p['unc_classes'], i))
        if 'cross_image_c2c' in self.units and i in same:
            jobs.append(('cross_image_c2c', p['centres'], p['centre_classes'],
                         same[i]))
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
    loss, valid = weighted_info_nce(anchors, a_cls, samples, s_cls,
                                    self.temperature,
                                    self._weights(dccm, a_cls, None,
                                                  s_cls), None, groups,
                                    len(sets))
    start = 0
    for unit, cen, _, g in jobs:
        rows = slice(start, start + len(cen))
        add(unit, (loss[rows, g].sum(), valid[rows, g].sum()))
        start += len(cen)


def _grid_low(self, view: dict, flat: Tensor,
              groups: Tensor) -> Tuple[Tensor, Tensor]:
    """Embeddings and classes of the ``G_l`` cells of the feature
    grid (a cell reads the full-resolution pixel at its centre)."""
    feat = view['feat']
    clab = view['centre_label'].reshape(-1)[flat]
    mask = (groups == LOW) & (clab != self.ignore_index)
    return self._embed(feat.reshape(feat.shape[0], -1)[:, mask].t()), \
        clab[mask]


def _groups_at(view: dict, flat_index: Tensor) -> Tensor:
    """Uncertainty groups of the view's pixels ``flat_index``."""
    groups = view['groups']
    if callable(groups):
        return groups(flat_index)
    return groups.reshape(-1)[flat_index]


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
    ign = self.ignore_index
    out = {}
    if self.needs_p2p:
        amask = anchor_mask(lab, pred, view['anchor_eligible'], ign)
        out['anchors'], idx = self._pick(view, amask, lab,
                                         self.max_anchors_per_class, 'anchor',
                                         iteration, pos)
        out['anchor_index'] = idx
        out['anchor_labels'] = lab.reshape(-1)[idx]
        out['anchor_preds'] = pred.reshape(-1)[idx]
    if self.needs_p2p or 'intra_c2c' in self.units:
        out['samples'], idx = self._pick(view, lab != ign, lab,
                                         self.max_samples_per_class, 'sample',
                                         iteration, pos)
        out['sample_index'] = idx
        out['sample_labels'] = lab.reshape(-1)[idx]
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


# MCUEncoderDecoder and DCCM methods


def _views(self, src, src_gt, src_pred, src_samples, tgt, bought, pseudo,
           tgt_pred, plan, tgt_samples):
    """The per-image inputs of :class:`MCUContrastiveLoss`."""
    ign = self.ignore_index
    align = self.decode_head.align_corners
    views = []
    keys = self._keys(src_samples, 'source')
    for i in range(len(src_gt)):
        views.append(
            dict(
                feat=src['feat'][i],
                label=src_gt[i],
                pred=src_pred[i],
                anchor_eligible=src_gt[i] != ign,
                groups=self._source_groups(src, i, src_gt[i], plan),
                centre_label=src_gt[i],
                domain='source',
                key=keys[i],
                align_corners=align))
    keys = self._keys(tgt_samples, 'target')
    for i in range(len(bought)):
        has = bought[i] != ign
        g = plan['groups'][i]
        eligible = torch.zeros_like(has)
        for code in self.target_anchor_groups:
            eligible |= g == code
        views.append(
            dict(
                feat=tgt['feat'][i],
                label=torch.where(has, bought[i], pseudo[i]),
                pred=tgt_pred[i],
                anchor_eligible=has & eligible,
                groups=g,
                centre_label=torch.where(g >= 0, tgt_pred[i],
                                         torch.full_like(tgt_pred[i], ign)),
                domain='target',
                key=keys[i],
                align_corners=align))
    return views


@torch.no_grad()
def confusion(self, labels: Tensor, preds: Tensor) -> Tensor:
    """Confusion counts ``M[u, v]`` (rows: ground truth).

    Args:
        labels (Tensor): int64 labels of any shape (``ignore_index``
            and out-of-range values skipped).
        preds (Tensor): Predicted classes, same shape.

    Returns:
        Tensor: float64 ``[C, C]`` counts.
    """
    c = self.num_classes
    labels, preds = labels.reshape(-1), preds.reshape(-1)
    keep = (labels >= 0) & (labels < c) & (labels != self.ignore_index)
    # skipped pixels go to an extra bin (no boolean indexing)
    flat = torch.where(keep, labels * c + preds, c * c)
    counts = torch.bincount(flat, minlength=c * c + 1)[:c * c]
    return counts.reshape(c, c).to(torch.float64)


def reference_patches():
    """``(module, name, reference)`` triples: ``monkeypatch.setattr`` each to
    run the segmentor and the contrastive units with the old code."""
    import sys

    import mmseg_ada.models.losses.mcu_contrastive_loss as con
    import mmseg_ada.models.segmentors.mcu_encoder_decoder as seg
    this = sys.modules[__name__]
    import mmseg_ada.models.losses.dccm as dccm
    cls = con.MCUContrastiveLoss
    return [(seg, 'class_argmax', class_argmax), (cls, '_pick', _pick),
            (cls, '_p2p', _p2p), (cls, '_c2c', _c2c),
            (cls, 'sample_view', sample_view), (cls, '_grid_low', _grid_low),
            (cls, '_groups_at', staticmethod(_groups_at)),
            (seg.MCUEncoderDecoder, '_views', _views),
            (dccm.DCCM, 'confusion', confusion),
            (con, 'cap_per_class', this.cap_per_class),
            (con, 'weighted_info_nce', this.weighted_info_nce),
            (con, 'gather_pixel_features', this.gather_pixel_features)]
