"""Oracles: where the labels of bought units come from."""
from .ground_truth import GroundTruthOracle

__all__ = ['GroundTruthOracle']
