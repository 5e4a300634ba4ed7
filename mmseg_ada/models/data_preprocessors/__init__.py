"""Data preprocessors."""
from .multi_stream_cls_data_preprocessor import MultiStreamClsDataPreProcessor
from .multi_stream_seg_data_preprocessor import MultiStreamSegDataPreProcessor

__all__ = ['MultiStreamClsDataPreProcessor', 'MultiStreamSegDataPreProcessor']
