"""Fully connected domain discriminator on embeddings (DANN, TSF)."""
from __future__ import annotations

from typing import List, Optional, Union

import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

__all__ = ['MLPDiscriminator']


@MODELS.register_module()
class MLPDiscriminator(BaseModule):
    """``Linear -> ReLU -> Dropout`` (x ``num_layers``) ``-> Linear``.

    The domain classifier of DANN's and CDAN's codes on a ``[N, D]``
    representation z: ``D -> 1024 -> 1024 -> out_channels`` with ReLU and
    dropout 0.5 between the layers (SAGE gives no architecture; this is the
    usual choice).  It outputs logits: ``out_channels = 1`` for DANN's
    binary discriminator, ``C`` for TSF's class-level one (one sigmoid per
    class, not a softmax).  No batch normalisation, so each sample's output
    (and its gradient with respect to z) depends on that sample only; in
    ``eval()`` mode dropout is off.

    Args:
        in_channels (int): ``D``, the representation size.
        out_channels (int): Logits per sample. Defaults to 1.
        hidden_channels (int): Width of the hidden layers. Defaults to 1024.
        num_layers (int): Hidden layers. Defaults to 2.
        dropout_ratio (float): Dropout after each hidden ReLU. Defaults to
            0.5.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None (PyTorch's default initialisation).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 1,
                 hidden_channels: int = 1024,
                 num_layers: int = 2,
                 dropout_ratio: float = 0.5,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('in_channels', in_channels),
                            ('out_channels', out_channels), ('hidden_channels',
                                                             hidden_channels)):
            if int(value) < 1:
                raise ValueError(f'MLPDiscriminator: {name} must be >= 1, '
                                 f'got {value}')
        if int(num_layers) < 0:
            raise ValueError('MLPDiscriminator: num_layers must be >= 0, '
                             f'got {num_layers}')
        if not 0 <= float(dropout_ratio) < 1:
            raise ValueError('MLPDiscriminator: dropout_ratio must be in '
                             f'[0, 1), got {dropout_ratio}')
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        layers: List[nn.Module] = []
        width = self.in_channels
        for _ in range(int(num_layers)):
            layers += [
                nn.Linear(width, int(hidden_channels)),
                nn.ReLU(inplace=True)
            ]
            if dropout_ratio > 0:
                layers.append(nn.Dropout(float(dropout_ratio)))
            width = int(hidden_channels)
        layers.append(nn.Linear(width, self.out_channels))
        self.layers = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        """Domain logits of a batch of features.

        Args:
            z: ``[N, in_channels]`` inputs.

        Returns:
            Tensor: ``[N, out_channels]`` logits.
        """
        if z.dim() != 2 or z.shape[1] != self.in_channels:
            raise ValueError(
                f'MLPDiscriminator expects [N, {self.in_channels}] inputs, '
                f'got {tuple(z.shape)}')
        return self.layers(z)
