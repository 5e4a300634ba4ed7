"""Data preprocessors."""
from .multi_stream_cls_data_preprocessor import MultiStreamClsDataPreProcessor
from .source_target_data_preprocessor import SourceTargetDataPreProcessor

__all__ = ['MultiStreamClsDataPreProcessor', 'SourceTargetDataPreProcessor']
