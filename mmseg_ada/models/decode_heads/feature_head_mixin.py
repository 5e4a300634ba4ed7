"""The feature API shared by our decode heads."""
from typing import List, Tuple, Union

from torch import Tensor

HeadInputs = Union[List[Tensor], Tuple[Tensor, ...]]


class FeatureHeadMixin:
    """Splits a decode head into ``forward_feature`` and ``cls_seg``.

    Active domain adaptation (ADeADA and friends) needs the per-pixel feature
    map that the final 1x1 classifier (``conv_seg``) reads, e.g. the 256-d
    region features fed to the density estimators. A head with this mixin
    offers:

    * ``forward_feature(inputs) -> Tensor[B, feat_channels, h, w]``: the map
      right before ``cls_seg`` (before its dropout);
    * ``forward(inputs) == cls_seg(forward_feature(inputs))``, so the usual
      mmseg decode path (``loss`` / ``predict``) is unchanged;
    * ``feat_channels`` (the feature size, ``channels``) and
      ``with_features`` (False for a head variant without a feature map).

    Subclasses implement ``_forward_feature`` (the name mmseg's ``ASPPHead``
    uses for the same thing). Put the mixin first in the bases so that its
    ``forward`` wins over the head's own, e.g.
    ``class MyHead(FeatureHeadMixin, SomeMMSegHead)``.
    """

    @property
    def with_features(self) -> bool:
        """bool: Whether :meth:`forward_feature` is available."""
        return True

    @property
    def feat_channels(self) -> int:
        """int: Number of channels of :meth:`forward_feature`'s output."""
        return self.channels

    def _forward_feature(self, inputs: HeadInputs) -> Tensor:
        """Compute the feature map before ``cls_seg`` (to be overridden)."""
        raise NotImplementedError(
            f'{self.__class__.__name__} must implement _forward_feature')

    def forward_feature(self, inputs: HeadInputs) -> Tensor:
        """Feature map before the final classifier.

        Args:
            inputs (list[Tensor] | tuple[Tensor]): Multi-level backbone
                (or neck) features, as given to the head's ``forward``.

        Returns:
            Tensor: Features of shape (B, ``feat_channels``, h, w), taken
            before the dropout of ``cls_seg``.
        """
        return self._forward_feature(inputs)

    def forward(self, inputs: HeadInputs) -> Tensor:
        """Segmentation logits, ``cls_seg(forward_feature(inputs))``.

        Args:
            inputs (list[Tensor] | tuple[Tensor]): Multi-level features.

        Returns:
            Tensor: Logits of shape (B, out_channels, h, w).
        """
        return self.cls_seg(self.forward_feature(inputs))
