"""Datasets, samplers and transforms for active domain adaptation."""
from . import samplers, transforms  # noqa: F401
from .anchor_set import AnchorSet
from .collate import multi_stream_collate
from .converted_source import ConvertedSourceDataset
from .domainnet import DomainNetDataset
from .gta5 import GTA5Dataset
from .image_list import ImageListDataset, parse_image_list
from .joint_labeled import JointLabeledDataset
from .labeled_subset import LabeledSubsetDataset
from .multi_stream import MultiStreamDataset
from .office31 import Office31Dataset
from .office_home import OfficeHomeDataset
from .paa_dataset import PAADataset
from .samplers import PositionedRoundSampler, RoundInfiniteSampler
from .source_target import SourceTargetDataset
from .synthia import SynthiaDataset
from .unlabeled import UnlabeledDataset
from .visda import VisDADataset

__all__ = [
    'AnchorSet', 'ConvertedSourceDataset', 'DomainNetDataset', 'GTA5Dataset',
    'ImageListDataset', 'JointLabeledDataset', 'LabeledSubsetDataset',
    'MultiStreamDataset', 'Office31Dataset', 'OfficeHomeDataset', 'PAADataset',
    'PositionedRoundSampler', 'RoundInfiniteSampler', 'SourceTargetDataset',
    'SynthiaDataset', 'UnlabeledDataset', 'VisDADataset',
    'multi_stream_collate', 'parse_image_list'
]
