"""Datasets, samplers and transforms for active domain adaptation."""
from . import samplers, transforms  # noqa: F401
from .collate import multi_stream_collate
from .gta5 import GTA5Dataset
from .labeled_subset import LabeledSubsetDataset
from .multi_stream import MultiStreamDataset
from .samplers import RoundInfiniteSampler
from .source_target import SourceTargetDataset
from .synthia import SynthiaDataset
from .unlabeled import UnlabeledDataset

__all__ = [
    'GTA5Dataset', 'LabeledSubsetDataset', 'MultiStreamDataset',
    'RoundInfiniteSampler', 'SourceTargetDataset', 'SynthiaDataset',
    'UnlabeledDataset', 'multi_stream_collate'
]
