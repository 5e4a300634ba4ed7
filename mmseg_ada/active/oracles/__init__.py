"""Oracles: where the labels of bought units come from."""
from .base import BaseOracle, LabelsNotImported
from .ground_truth import GroundTruthOracle
from .human import EXPORT_FORMATS, HumanOracle

__all__ = [
    'BaseOracle', 'LabelsNotImported', 'GroundTruthOracle', 'HumanOracle',
    'EXPORT_FORMATS'
]
