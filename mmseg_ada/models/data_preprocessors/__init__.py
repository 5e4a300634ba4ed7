"""Data preprocessors."""
from .multi_stream_seg_data_preprocessor import MultiStreamSegDataPreProcessor

__all__ = ['MultiStreamSegDataPreProcessor']
