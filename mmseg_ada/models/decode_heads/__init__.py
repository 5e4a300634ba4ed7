"""mmseg_ada.models.decode_heads: decode heads that expose their features."""
from .deeplabv2_head import DeepLabV2Head
from .feature_head_mixin import FeatureHeadMixin
from .sep_aspp_feat_head import DepthwiseSeparableASPPFeatHead

__all__ = [
    'DeepLabV2Head', 'DepthwiseSeparableASPPFeatHead', 'FeatureHeadMixin'
]
