"""Data structures of mmseg-ada."""
from .cls_data_sample import ClsDataSample, format_label, format_score

__all__ = ['ClsDataSample', 'format_label', 'format_score']
