"""DeepLabV2 ASPP classifier, classic and with a 256-d feature map."""
from typing import Optional, Sequence

import torch.nn as nn
from mmcv.cnn import (ConvModule, build_activation_layer, build_conv_layer,
                      build_norm_layer)
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor

from .feature_head_mixin import FeatureHeadMixin, HeadInputs


@MODELS.register_module()
class DeepLabV2Head(FeatureHeadMixin, BaseDecodeHead):
    """ASPP head of `DeepLabV2 <https://arxiv.org/abs/1606.00915>`_.

    Parallel 3x3 convolutions with dilations ``dilations`` (6, 12, 18, 24)
    read the same (last-stage) backbone map and their outputs are **summed**
    (DeepLabV2's ASPP-L, as used by AdaptSegNet / ADVENT and the DA
    literature). Two modes:

    * ``bottleneck=True`` (default, ADeADA supplement A): each branch outputs
      ``channels`` (256) maps; the sum goes through ``norm_cfg`` and
      ``act_cfg`` (skipped when ``None``), giving the ``channels``-d feature
      map returned by :meth:`forward_feature`; ``cls_seg`` (dropout + 1x1
      ``conv_seg``) then gives the logits. Without the norm/activation after
      the sum, ASPP + ``conv_seg`` would collapse into one linear map, i.e.
      classic DeepLabV2 with a rank-256 classifier, so the non-linearity is
      what makes the 256-d output a feature; it is applied once, after the
      sum (branches are plain convolutions, with a bias only when there is
      no norm). Branch convolutions get ``ConvModule``'s Kaiming init.
    * ``bottleneck=False`` (classic DeepLabV2): each branch outputs
      ``num_classes`` logits directly (plain convolutions with bias,
      initialised N(0, 0.01) like the original), and the sum is the output.
      There is no feature map and no ``conv_seg``/dropout: ``channels``,
      ``dropout_ratio``, ``norm_cfg`` and ``act_cfg`` are unused, and
      :meth:`forward_feature` / :meth:`cls_seg` raise ``RuntimeError``
      (check :attr:`with_features`). Use it where only logits are needed,
      e.g. AdaptSegNet's auxiliary classifier on ResNet layer3.

    Args:
        dilations (Sequence[int]): Dilation (= padding) of each 3x3 branch.
            Default: (6, 12, 18, 24).
        bottleneck (bool): Branches output ``channels`` features followed by
            ``conv_seg`` (True) or ``num_classes`` logits (False).
            Default: True.
        init_cfg (dict | list[dict], optional): Initialisation config.
            ``None`` picks the mode's default: N(0, 0.01) on ``conv_seg``
            (bottleneck) or on the branch convolutions ``aspp_modules``
            (classic). Default: None.
        **kwargs: Arguments of ``BaseDecodeHead`` (``in_channels``,
            ``channels``, ``num_classes``, ``in_index``, ``norm_cfg``, ...).
    """

    def __init__(self,
                 dilations: Sequence[int] = (6, 12, 18, 24),
                 bottleneck: bool = True,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        if (not isinstance(dilations, (list, tuple)) or len(dilations) == 0
                or not all(isinstance(d, int) and d >= 1 for d in dilations)):
            raise ValueError('DeepLabV2Head: `dilations` must be a non-empty '
                             f'list/tuple of positive ints, got {dilations!r}')
        if init_cfg is None:
            target = 'conv_seg' if bottleneck else 'aspp_modules'
            init_cfg = dict(
                type='Normal', std=0.01, override=dict(name=target))
        super().__init__(init_cfg=init_cfg, **kwargs)
        self.dilations = tuple(dilations)
        self.bottleneck = bool(bottleneck)

        if self.bottleneck:
            self.aspp_modules = nn.ModuleList([
                ConvModule(
                    self.in_channels,
                    self.channels,
                    3,
                    padding=d,
                    dilation=d,
                    bias=self.norm_cfg is None,
                    conv_cfg=self.conv_cfg,
                    norm_cfg=None,
                    act_cfg=None) for d in self.dilations
            ])
            fuse = []
            if self.norm_cfg is not None:
                fuse.append(build_norm_layer(self.norm_cfg, self.channels)[1])
            if self.act_cfg is not None:
                fuse.append(build_activation_layer(self.act_cfg))
            self.fuse = nn.Sequential(*fuse)
        else:
            # Plain convs (not ConvModule, whose own Kaiming init would
            # overwrite the N(0, 0.01) init of the original classifier).
            self.aspp_modules = nn.ModuleList([
                build_conv_layer(
                    self.conv_cfg,
                    self.in_channels,
                    self.out_channels,
                    3,
                    padding=d,
                    dilation=d,
                    bias=True) for d in self.dilations
            ])
            self.fuse = None
            del self.conv_seg
            self.dropout = None

    @property
    def with_features(self) -> bool:
        """bool: Whether the head has a feature map (``bottleneck=True``)."""
        return self.bottleneck

    @property
    def feat_channels(self) -> int:
        """int: ``channels``; raises ``RuntimeError`` in classic mode."""
        if not self.bottleneck:
            raise self._no_features_error('feature map')
        return self.channels

    def _sum_branches(self, inputs: HeadInputs) -> Tensor:
        """Sum of the dilated branches on the selected input level."""
        x = self._transform_inputs(inputs)
        out = self.aspp_modules[0](x)
        for branch in self.aspp_modules[1:]:
            out = out + branch(x)
        return out

    def _no_features_error(self, what: str) -> RuntimeError:
        return RuntimeError(
            f'DeepLabV2Head(bottleneck=False) is the classic classifier: its '
            f'branches output logits, so it has no {what}. Use '
            'bottleneck=True for a head with a feature map.')

    def _forward_feature(self, inputs: HeadInputs) -> Tensor:
        """Summed ASPP branches after norm/act: (B, channels, h, w).

        Args:
            inputs (list[Tensor] | tuple[Tensor]): Multi-level features.

        Returns:
            Tensor: The ``channels``-d feature map.

        Raises:
            RuntimeError: In classic mode (``bottleneck=False``).
        """
        if not self.bottleneck:
            raise self._no_features_error('feature map')
        return self.fuse(self._sum_branches(inputs))

    def cls_seg(self, feat: Tensor) -> Tensor:
        """Dropout and ``conv_seg`` (bottleneck mode only).

        Args:
            feat (Tensor): Output of :meth:`forward_feature`.

        Returns:
            Tensor: Logits of shape (B, out_channels, h, w).

        Raises:
            RuntimeError: In classic mode (``bottleneck=False``).
        """
        if not self.bottleneck:
            raise self._no_features_error('conv_seg classifier')
        return super().cls_seg(feat)

    def forward(self, inputs: HeadInputs) -> Tensor:
        """Segmentation logits.

        Args:
            inputs (list[Tensor] | tuple[Tensor]): Multi-level features.

        Returns:
            Tensor: ``cls_seg(forward_feature(inputs))`` with a bottleneck,
            otherwise the sum of the branches' logits.
        """
        if self.bottleneck:
            return super().forward(inputs)
        return self._sum_branches(inputs)
