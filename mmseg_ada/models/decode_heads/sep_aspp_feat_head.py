"""DeepLabV3+ head that exposes the feature map before its classifier."""
import torch
from mmseg.models.decode_heads.sep_aspp_head import DepthwiseSeparableASPPHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from .feature_head_mixin import FeatureHeadMixin, HeadInputs


@MODELS.register_module()
class DepthwiseSeparableASPPFeatHead(FeatureHeadMixin,
                                     DepthwiseSeparableASPPHead):
    """`DeepLabV3+ <https://arxiv.org/abs/1802.02611>`_ head with features.

    Same modules, parameters (state-dict keys) and logits as mmseg's
    ``DepthwiseSeparableASPPHead``; only the computation is split so that
    :meth:`forward_feature` returns the ``channels``-d map after
    ``sep_bottleneck`` (at the resolution of ``inputs[0]``, 1/4 for a
    ResNet), i.e. what ``cls_seg`` reads, taken **before** its dropout (the
    features are deterministic in train mode). This is the "feature before
    the final linear classification layer" of ADeADA; set ``channels=256``
    for its 256-d features.

    Note that mmseg's inherited ``ASPPHead._forward_feature`` returns only
    the ASPP output at 1/8 (before the low-level decoder); here
    ``_forward_feature`` is overridden to the full decoder feature.

    Args:
        c1_in_channels (int): Input channels of the low-level (c1) decoder
            branch; 0 disables it.
        c1_channels (int): Channels of the c1 projection.
        **kwargs: Arguments of ``ASPPHead`` / ``BaseDecodeHead``.
    """

    def _forward_feature(self, inputs: HeadInputs) -> Tensor:
        """DeepLabV3+ decoder feature: (B, channels, h1, w1).

        Args:
            inputs (list[Tensor] | tuple[Tensor]): Multi-level features;
                ``inputs[0]`` feeds the c1 branch.

        Returns:
            Tensor: Output of ``sep_bottleneck``.
        """
        x = self._transform_inputs(inputs)
        aspp_outs = [
            resize(
                self.image_pool(x),
                size=x.size()[2:],
                mode='bilinear',
                align_corners=self.align_corners)
        ]
        aspp_outs.extend(self.aspp_modules(x))
        output = self.bottleneck(torch.cat(aspp_outs, dim=1))
        if self.c1_bottleneck is not None:
            c1_output = self.c1_bottleneck(inputs[0])
            output = resize(
                input=output,
                size=c1_output.shape[2:],
                mode='bilinear',
                align_corners=self.align_corners)
            output = torch.cat([output, c1_output], dim=1)
        return self.sep_bottleneck(output)
