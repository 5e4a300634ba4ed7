"""Data preprocessors."""
from .source_target_data_preprocessor import SourceTargetDataPreProcessor

__all__ = ['SourceTargetDataPreProcessor']
