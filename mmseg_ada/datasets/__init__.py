"""Datasets and transforms for active domain adaptation."""
from . import transforms  # noqa: F401
from .active_target import ActiveTargetDataset
from .converted_source import ConvertedSourceDataset
from .gta5 import GTA5Dataset
from .source_target import SourceTargetDataset, source_target_collate
from .synthia import SynthiaDataset

__all__ = [
    'ActiveTargetDataset', 'ConvertedSourceDataset', 'GTA5Dataset',
    'SourceTargetDataset', 'source_target_collate', 'SynthiaDataset'
]
