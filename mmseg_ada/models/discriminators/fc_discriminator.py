"""AdaptSegNet's fully-convolutional domain discriminator."""
from __future__ import annotations

from typing import List, Optional, Union

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class FCDiscriminator(BaseModule):
    """Fully-convolutional discriminator of `AdaptSegNet
    <https://arxiv.org/abs/1802.10349>`_ (Tsai et al., CVPR 2018), also used
    by `ADVENT <https://arxiv.org/abs/1811.12833>`_ (Vu et al., CVPR 2019).

    Five 4x4 convolutions with stride 2 and padding 1, with ``ndf``,
    ``2 ndf``, ``4 ndf``, ``8 ndf`` and 1 output channels; the first four are
    followed by LeakyReLU (``negative_slope``), there is no normalisation and
    the last one outputs one domain logit per location (no sigmoid: train it
    with ``binary_cross_entropy_with_logits``).  An input of ``H x W`` gives a
    map of about ``H/32 x W/32`` logits.

    Args:
        in_channels (int): Channels of the input maps (the number of classes
            for softmax or self-information maps).
        ndf (int): Channels of the first convolution. Default: 64.
        negative_slope (float): Slope of the LeakyReLU. Default: 0.2.
        init_cfg (dict | list[dict], optional): Initialisation config.
            ``None`` keeps ``ConvModule``'s Kaiming init (for LeakyReLU) of
            the hidden layers and PyTorch's default init of the classifier.
    """

    def __init__(self,
                 in_channels: int,
                 ndf: int = 64,
                 negative_slope: float = 0.2,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if int(in_channels) <= 0 or int(ndf) <= 0:
            raise ValueError('FCDiscriminator: in_channels and ndf must be '
                             f'positive, got in_channels={in_channels}, '
                             f'ndf={ndf}')
        self.in_channels = int(in_channels)
        self.ndf = int(ndf)
        self.negative_slope = float(negative_slope)
        act_cfg = dict(type='LeakyReLU', negative_slope=self.negative_slope)
        widths = [self.in_channels] + [self.ndf * m for m in (1, 2, 4, 8)]
        self.convs = nn.Sequential(*[
            ConvModule(c_in, c_out, 4, stride=2, padding=1, act_cfg=act_cfg)
            for c_in, c_out in zip(widths[:-1], widths[1:])
        ])
        self.classifier = nn.Conv2d(widths[-1], 1, 4, stride=2, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        """Domain logits.

        Args:
            x (Tensor): Maps of shape ``(B, in_channels, H, W)``.

        Returns:
            Tensor: Logits of shape ``(B, 1, h, w)``, ``h ~ H/32``.
        """
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'FCDiscriminator expects (B, {self.in_channels}, H, W) '
                f'inputs, got shape {tuple(x.shape)}')
        return self.classifier(self.convs(x))
