"""Cosine (L2-normalised, temperature-scaled) bottleneck head for MME."""
from __future__ import annotations

import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from .bottleneck_cls_head import BottleneckClsHead

__all__ = ['CosineBottleneckClsHead']


@MODELS.register_module()
class CosineBottleneckClsHead(BottleneckClsHead):
    """:class:`BottleneckClsHead` with a cosine classifier.

    ``logits = (W / ||W||_rows) (z / ||z||) / T`` with a bias-free
    ``W in R^{C x 256}`` and temperature ``T = 0.05``: the classifier of
    MME (Saito et al., ICCV 2019: L2-normalised features fed to a
    classifier of weight vectors / prototypes W with temperature T), used
    by LADA/CLUE/SAGE for their MME runs (SAGE Eq. 9:
    ``f = softmax((1/T) W l2(z))``).

    Ambiguity: MME's paper normalises the weight vectors, its code
    (``Predictor``) only the features.  Default: both (``normalize_weight
    =True``); ``normalize_weight=False`` gives the code's classifier.

    Args:
        temperature (float): T. Defaults to 0.05.
        normalize_weight (bool): L2-normalise the rows of W. Defaults to
            True.
        eps (float): Guards the normalisation. Defaults to 1e-12.
        **kwargs: See :class:`BottleneckClsHead`.
    """

    normalize_feature = True

    def __init__(self,
                 *args,
                 temperature: float = 0.05,
                 normalize_weight: bool = True,
                 eps: float = 1e-12,
                 **kwargs) -> None:
        if not float(temperature) > 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = float(temperature)
        self.normalize_weight = bool(normalize_weight)
        self.eps = float(eps)
        super().__init__(*args, **kwargs)

    def _build_classifier(self) -> nn.Module:
        return nn.Linear(
            self.bottleneck_channels, self.num_classes, bias=False)

    def classify(self, x: Tensor) -> Tensor:
        """Logits ``w_c . (x / ||x||) / T`` of embeddings ``x``
        (``cos(w_c, x) / T`` with ``normalize_weight``).

        Args:
            x: ``[N, bottleneck_channels]`` embeddings.

        Returns:
            Tensor: ``[N, C]`` logits.
        """
        weight = self.fc.weight
        if self.normalize_weight:
            weight = F.normalize(weight, dim=1, eps=self.eps)
        return F.linear(F.normalize(x, dim=1, eps=self.eps),
                        weight) / self.temperature
