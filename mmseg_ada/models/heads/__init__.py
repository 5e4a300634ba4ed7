"""Classification heads with mmpretrain's head API."""
from .bottleneck_cls_head import BottleneckClsHead
from .cosine_bottleneck_cls_head import CosineBottleneckClsHead

__all__ = ['BottleneckClsHead', 'CosineBottleneckClsHead']
