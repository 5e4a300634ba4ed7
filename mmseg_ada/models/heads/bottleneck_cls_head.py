"""Bottleneck classification head of the ADA classification literature."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from mmseg_ada.structures import ClsDataSample

__all__ = ['BottleneckClsHead']


@MODELS.register_module()
class BottleneckClsHead(BaseModule):
    """``Linear(in, 256) + BN1d [+ ReLU] [+ Dropout] -> Linear(256, C)``.

    The head of LADA, SDM and CLUE's ResNet-50 models (LADA
    ``model/network.py``: ``nn.Sequential(nn.Linear(2048, 256),
    BatchNorm1d(256))`` then ``nn.Linear(256, num_cls)``; no activation and
    no dropout, so both are off by default).  The 256-d output of the
    bottleneck is the sample's embedding (``pre_logits``, the ``'feature'``
    of the active-learning pool).

    It follows mmpretrain's head API (``mmpretrain.models.heads.ClsHead``):
    ``pre_logits(feats)``, ``forward(feats)``, ``loss(feats, data_samples,
    **kwargs) -> dict`` with key ``'loss'`` and ``predict(feats,
    data_samples=None)`` returning data samples with ``pred_score`` and
    ``pred_label``; ``feats`` is a tuple of ``[N, in_channels]`` tensors of
    which the last is used.  :meth:`classify` is the last layer alone
    (used by regularisers that reverse gradients between embedding and
    classifier, e.g. MME).

    The classifier is described by :attr:`temperature`,
    :attr:`normalize_feature` and :attr:`normalize_weight`: logits are
    ``W' z' / temperature + b`` with ``z'``/``W'`` the (row-)normalised
    embedding/weight when the flags say so (here: plain ``W z + b``).

    A training batch of a single sample would make ``BatchNorm1d`` raise;
    like LADA's ``BatchNorm1d`` wrapper, the sample is then normalised as a
    batch of two copies of itself.

    Args:
        num_classes (int): Number of classes C.
        in_channels (int): Channels of the pooled backbone feature (2048
            for ResNet-50).
        bottleneck_channels (int): Embedding size. Defaults to 256.
        with_relu (bool): ReLU after the batch norm. Defaults to False.
        dropout_ratio (float): Dropout after the batch norm (and ReLU).
            Defaults to 0 (off).
        loss (dict): Loss config, built from mmseg's registry. Defaults to
            mmseg's ``CrossEntropyLoss`` (mean over the batch).
        cal_acc (bool): Also return the batch top-1 accuracy (percent)
            as ``'accuracy_top-1'`` from :meth:`loss`. Defaults to False.
        init_cfg (dict, optional): Initialisation config. Defaults to None
            (PyTorch's default initialisation, as the reference code).
    """

    #: Temperature T dividing the logits (1 for the linear classifier).
    temperature: float = 1.0
    #: Whether the classifier L2-normalises the embedding.
    normalize_feature: bool = False
    #: Whether the classifier L2-normalises the rows of its weight.
    normalize_weight: bool = False

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 bottleneck_channels: int = 256,
                 with_relu: bool = False,
                 dropout_ratio: float = 0.,
                 loss: Union[dict, nn.Module] = dict(
                     type='CrossEntropyLoss',
                     loss_weight=1.0,
                     avg_non_ignore=True),
                 cal_acc: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if int(num_classes) < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        if not 0 <= float(dropout_ratio) < 1:
            raise ValueError(
                f'dropout_ratio must be in [0, 1), got {dropout_ratio}')
        self.num_classes = int(num_classes)
        self.in_channels = int(in_channels)
        self.bottleneck_channels = int(bottleneck_channels)
        self.cal_acc = bool(cal_acc)
        self.bottleneck = nn.Linear(self.in_channels, self.bottleneck_channels)
        self.bn = nn.BatchNorm1d(self.bottleneck_channels)
        self.relu = nn.ReLU(inplace=True) if with_relu else None
        self.dropout = (
            nn.Dropout(p=float(dropout_ratio)) if dropout_ratio > 0 else None)
        self.fc = self._build_classifier()
        self.loss_module = (
            loss if isinstance(loss, nn.Module) else MODELS.build(loss))

    def _build_classifier(self) -> nn.Module:
        return nn.Linear(self.bottleneck_channels, self.num_classes)

    # ------------------------------------------------------------ layers
    def _batch_norm(self, x: Tensor) -> Tensor:
        if self.training and x.size(0) == 1:
            return self.bn(torch.cat([x, x], dim=0))[:1]
        return self.bn(x)

    def pre_logits(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """The embedding of ``feats[-1]``: bottleneck, BN (a single
        training sample is normalised as a pair of itself), then the
        optional ReLU and dropout.

        Args:
            feats: pooled features, ``[N, in_channels]`` each (a tensor is
                taken as the last).

        Returns:
            Tensor: ``[N, bottleneck_channels]``.
        """
        x = feats[-1] if isinstance(feats, (tuple, list)) else feats
        if x.dim() != 2 or x.size(1) != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} expects [N, {self.in_channels}] '
                f'pooled features, got {tuple(x.shape)}')
        x = self._batch_norm(self.bottleneck(x))
        if self.relu is not None:
            x = self.relu(x)
        if self.dropout is not None:
            x = self.dropout(x)
        return x

    def classify(self, x: Tensor) -> Tensor:
        """The last layer.

        Args:
            x: ``[N, bottleneck_channels]`` embeddings.

        Returns:
            Tensor: ``[N, C]`` logits.
        """
        return self.fc(x)

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """Logits of pooled features.

        Args:
            feats: pooled features, the last is used.

        Returns:
            Tensor: ``[N, C]`` logits.
        """
        return self.classify(self.pre_logits(feats))

    @property
    def classifier_weight(self) -> Tensor:
        """``[C, bottleneck_channels]`` weight of the last linear layer."""
        return self.fc.weight

    @property
    def classifier_bias(self) -> Tensor:
        """``[C]`` bias of the last linear layer (zeros if it has none)."""
        bias = getattr(self.fc, 'bias', None)
        if bias is None:
            return self.fc.weight.new_zeros(self.num_classes)
        return bias

    # ------------------------------------------------------------ losses
    @staticmethod
    def gt_labels(data_samples: Sequence[ClsDataSample]) -> Tensor:
        """The ground-truth labels of ``data_samples``.

        Args:
            data_samples: samples with one ``gt_label`` each.

        Returns:
            Tensor: ``[N]`` long labels.

        Raises:
            ValueError: If a sample has no ``gt_label`` or more than one.
        """
        labels = []
        for i, sample in enumerate(data_samples):
            if 'gt_label' not in sample:
                raise ValueError(f'data sample {i} has no gt_label')
            label = sample.gt_label
            if label.numel() != 1:
                raise ValueError(
                    f'data sample {i}: single-label classification expects '
                    f'one gt_label, got {label.tolist()}')
            labels.append(label.reshape(1))
        return torch.cat(labels).long()

    def loss_by_logits(self, cls_score: Tensor,
                       data_samples: Sequence[ClsDataSample],
                       **kwargs) -> Dict[str, Tensor]:
        """Loss of given logits against the samples' ``gt_label``.

        Args:
            cls_score: ``[N, C]`` logits.
            data_samples: samples with ``gt_label`` in ``[0, C)``.
            **kwargs: passed to the loss module.

        Returns:
            dict[str, Tensor]: ``'loss'`` (the mean over the batch) and,
            with ``cal_acc``, ``'accuracy_top-1'`` in percent.
        """
        target = self.gt_labels(data_samples).to(cls_score.device)
        if len(target) != len(cls_score):
            raise ValueError(f'{len(cls_score)} predictions but '
                             f'{len(target)} labels')
        if len(target) and (target.min() < 0
                            or target.max() >= self.num_classes):
            raise ValueError(f'gt_label outside [0, {self.num_classes}): '
                             f'{sorted(set(target.tolist()))}')
        losses = dict(loss=self.loss_module(cls_score, target, **kwargs))
        if self.cal_acc:
            with torch.no_grad():
                acc = (cls_score.argmax(1) == target).float().mean() * 100
            losses['accuracy_top-1'] = acc
        return losses

    def loss(self, feats: Tuple[Tensor,
                                ...], data_samples: Sequence[ClsDataSample],
             **kwargs) -> Dict[str, Tensor]:
        """Classification loss of ``feats`` (mmpretrain's ``loss``).

        Args:
            feats (tuple[Tensor]): Pooled features, the last is used.
            data_samples (list[ClsDataSample]): Samples with ``gt_label``.
            **kwargs: Passed to the loss module.

        Returns:
            dict[str, Tensor]: ``'loss'`` (and ``'accuracy_top-1'``).
        """
        return self.loss_by_logits(self(feats), data_samples, **kwargs)

    # ----------------------------------------------------------- predict
    def predict_by_logits(
        self,
        cls_score: Tensor,
        data_samples: Optional[Sequence[Optional[ClsDataSample]]] = None
    ) -> List[ClsDataSample]:
        """Softmax and argmax of ``cls_score`` into data samples.

        Args:
            cls_score: ``[N, C]`` logits (detached).
            data_samples: samples to write ``pred_score`` and
                ``pred_label`` into; new ones for ``None`` (or ``None``
                entries).

        Returns:
            list[ClsDataSample]: one sample per row.
        """
        pred_scores = F.softmax(cls_score.detach(), dim=1)
        pred_labels = pred_scores.argmax(dim=1, keepdim=True)
        if data_samples is None:
            data_samples = [None] * len(pred_scores)
        out = []
        for sample, score, label in zip(data_samples, pred_scores,
                                        pred_labels):
            if sample is None:
                sample = ClsDataSample()
            sample.set_pred_score(score).set_pred_label(label)
            out.append(sample)
        return out

    def predict(
        self,
        feats: Tuple[Tensor, ...],
        data_samples: Optional[Sequence[Optional[ClsDataSample]]] = None
    ) -> List[ClsDataSample]:
        """Predict classes (mmpretrain's ``predict``).

        Args:
            feats (tuple[Tensor]): Pooled features, the last is used.
            data_samples (list, optional): Samples to write ``pred_score``
                (softmax) and ``pred_label`` into; new ones if None.

        Returns:
            list[ClsDataSample]: One sample per input.
        """
        return self.predict_by_logits(self(feats), data_samples)
