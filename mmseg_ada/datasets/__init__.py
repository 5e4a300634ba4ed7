"""Datasets and transforms for active domain adaptation."""
from . import transforms  # noqa: F401
from .active_target import ActiveTargetDataset
from .domainnet import DomainNetDataset
from .gta5 import GTA5Dataset
from .image_list import ImageListDataset, parse_image_list
from .office31 import Office31Dataset
from .office_home import OfficeHomeDataset
from .source_target import SourceTargetDataset, source_target_collate
from .synthia import SynthiaDataset
from .visda import VisDADataset

__all__ = [
    'ActiveTargetDataset', 'GTA5Dataset', 'SourceTargetDataset',
    'source_target_collate', 'SynthiaDataset', 'ImageListDataset',
    'parse_image_list', 'Office31Dataset', 'OfficeHomeDataset',
    'VisDADataset', 'DomainNetDataset'
]
