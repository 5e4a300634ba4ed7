"""Data structures of mmseg-ada."""
from .cls_data_sample import ClsDataSample, format_label, format_score
from .stream_outputs import StreamOutputs

__all__ = ['ClsDataSample', 'StreamOutputs', 'format_label', 'format_score']
