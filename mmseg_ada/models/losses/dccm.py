"""Dynamic Category Correlation Matrix of ADA-MCU (Eq. 7-8)."""
from __future__ import annotations

from typing import Tuple

import torch
from mmengine.dist import all_reduce
from mmseg.registry import MODELS
from torch import Tensor, nn

PAIRINGS = ('anchor', 'pair')


@MODELS.register_module()
class DCCM(nn.Module):
    """Per-class-pair misclassification rates, smoothed by an EMA.

    Every iteration (Algorithm 1, line 14) the labelled pixels of the batch
    give ``R(u, v) = M(u -> v) / M(u)`` (Eq. 7: pixels of ground-truth class
    ``u`` predicted as ``v``, over all pixels of ``u``) and
    ``W <- beta * W + (1 - beta) * R`` (Eq. 8), row by row, only for the
    classes present in the batch (a class absent from the batch has no rate;
    its row is kept).  The first time a class is seen its row is set to
    ``R`` directly (a cold start from ``W = 0`` would make the weighted
    contrastive logits all zero).  The counts are summed over ranks first,
    so ``W`` is the same on every rank.  ``W`` is a buffer (checkpointed).

    The stored matrix is the row-normalised confusion matrix: its
    off-diagonal entries are exactly Eq. 7's rates; its diagonal (the
    literal Eq. 7 gives 0 there, "misclassified from u to u") holds the
    per-class accuracy, used by nothing but the logs.

    **How ``w(u, v)`` enters Eq. 10** (the paper writes one symbol
    ``w(u,v)`` in every term and never binds ``u``/``v``):

    * ``pairing='anchor'`` (default): the literal reading.  Anchors are
      misclassified pixels, so each has a ground-truth class ``u`` and a
      predicted class ``v``; ``w = W[u, v]`` is one scalar for the whole
      ``H`` of that anchor (numerator and every negative), acting as a
      per-anchor inverse temperature: anchors of often-confused pairs get
      sharper, larger-gradient terms ("DCCM can increase the weight between
      the categories which are more likely to be misclassified").  A class
      centre (c2c anchor) has no prediction; it gets its class's total
      error rate ``sum_{v != u} W[u, v]``.
    * ``pairing='pair'``: ``u`` = the anchor's class, ``v`` = the other
      sample's class: each negative ``n`` is scaled by ``W[u, class(n)]``
      (confused pairs pushed harder) and positives by 1 (``W[u, u]`` is 0 by
      the literal Eq. 7, which would remove the pull term).

    ``offset`` is added to every weight (0: the paper's raw rates; off-
    diagonal rates are mostly << 1, which softens the logits a lot, and
    ``offset=1`` keeps every term at least as sharp as plain InfoNCE).

    Args:
        num_classes (int): ``C``.
        beta (float): EMA momentum in ``[0, 1)``; not given by the paper.
            Default: 0.99 (a memory of ~100 iterations, i.e. ~400 images:
            the rates of one 4-image batch are noisy for rare classes).
        pairing (str): ``'anchor'`` or ``'pair'``. Default: ``'anchor'``.
        offset (float): Added to every weight. Default: 0.
        ignore_index (int): Unlabelled value. Default: 255.
    """

    def __init__(self,
                 num_classes: int,
                 beta: float = 0.99,
                 pairing: str = 'anchor',
                 offset: float = 0.,
                 ignore_index: int = 255) -> None:
        super().__init__()
        if int(num_classes) < 2:
            raise ValueError(f'DCCM: num_classes must be >= 2, got '
                             f'{num_classes}')
        if not 0. <= float(beta) < 1.:
            raise ValueError(f'DCCM: beta must lie in [0, 1), got {beta}')
        if pairing not in PAIRINGS:
            raise ValueError(f'DCCM: pairing must be one of {PAIRINGS}, got '
                             f'{pairing!r}')
        self.num_classes = int(num_classes)
        self.beta = float(beta)
        self.pairing = pairing
        self.offset = float(offset)
        self.ignore_index = int(ignore_index)
        self.register_buffer('weight', torch.eye(self.num_classes))
        self.register_buffer('seen',
                             torch.zeros(self.num_classes, dtype=torch.bool))

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
        keep = (labels >= 0) & (labels < c)
        if 0 <= self.ignore_index < c:
            keep &= labels != self.ignore_index
        # skipped pixels go to an extra bin (no boolean indexing)
        flat = torch.where(keep, preds.add(labels, alpha=c), c * c)
        counts = torch.bincount(flat, minlength=c * c + 1)[:c * c]
        return counts.reshape(c, c).to(torch.float64)

    @staticmethod
    def rates(confusion: Tensor) -> Tuple[Tensor, Tensor]:
        """Row-normalised rates (Eq. 7) and the classes present.

        Args:
            confusion (Tensor): ``[C, C]`` counts (rows: ground truth).

        Returns:
            tuple: ``[C, C]`` rates (each row divided by its count; a row
            without pixels stays 0) and ``bool [C]`` rows with pixels.
        """
        counts = confusion.sum(1)
        present = counts > 0
        return confusion / counts.clamp_min(1).unsqueeze(1), present

    @torch.no_grad()
    def update(self, labels: Tensor, preds: Tensor) -> Tensor:
        """One EMA step (Eq. 8) from a batch's labels and predictions.

        Args:
            labels (Tensor): int64 labels (any shape).
            preds (Tensor): Predictions, same shape.

        Returns:
            Tensor: The batch's (all-rank) confusion counts ``[C, C]``.
        """
        return self.update_confusion(self.confusion(labels, preds))

    @torch.no_grad()
    def update_confusion(self, confusion: Tensor) -> Tensor:
        """One EMA step (Eq. 8) from this rank's confusion counts.

        Args:
            confusion (Tensor): ``[C, C]`` counts (rows: ground truth), e.g.
                the sum of :meth:`confusion` over the batch's domains;
                summed over ranks here.

        Returns:
            Tensor: The all-rank counts.
        """
        conf = confusion.to(self.weight.device, torch.float64).clone()
        all_reduce(conf, op='sum')
        rate, present = self.rates(conf)
        rate = rate.to(self.weight.dtype)
        ema = torch.where(
            self.seen.unsqueeze(1),
            self.beta * self.weight + (1 - self.beta) * rate, rate)
        self.weight.copy_(torch.where(present.unsqueeze(1), ema, self.weight))
        self.seen |= present
        return conf

    def anchor_weights(self, anchor_labels: Tensor,
                       anchor_preds: Tensor) -> Tensor:
        """``W[u, v] + offset`` per pixel anchor (``pairing='anchor'``).

        Args:
            anchor_labels (Tensor): int64 ``[A]`` ground-truth classes ``u``.
            anchor_preds (Tensor): int64 ``[A]`` predicted classes ``v``.

        Returns:
            Tensor: ``[A]`` weights.
        """
        return self.weight[anchor_labels, anchor_preds] + self.offset

    def class_error(self, classes: Tensor) -> Tensor:
        """``sum_{v != u} W[u, v] + offset`` per centre anchor.

        Args:
            classes (Tensor): int64 ``[A]`` the class ``u`` of each centre.

        Returns:
            Tensor: ``[A]`` weights (the class's total error rate plus
            ``offset``).
        """
        w = self.weight[classes]
        off = w.sum(1) - w.gather(1, classes.unsqueeze(1)).squeeze(1)
        return off + self.offset

    def pair_weights(self, anchor_labels: Tensor,
                     sample_labels: Tensor) -> Tensor:
        """``[A, S]`` weights of ``pairing='pair'``: ``W[u, class(s)] +
        offset`` for negatives, ``1 + offset`` for positives.

        Args:
            anchor_labels (Tensor): int64 ``[A]`` anchor classes ``u``.
            sample_labels (Tensor): int64 ``[S]`` classes of the samples
                the anchors are contrasted with.

        Returns:
            Tensor: ``[A, S]`` weights.
        """
        w = self.weight[anchor_labels][:, sample_labels]
        same = anchor_labels.unsqueeze(1) == sample_labels.unsqueeze(0)
        return torch.where(same, torch.ones_like(w), w) + self.offset

    def extra_repr(self) -> str:
        """The settings shown in the module's ``repr``."""
        return (f'num_classes={self.num_classes}, beta={self.beta}, '
                f'pairing={self.pairing!r}, offset={self.offset}')
