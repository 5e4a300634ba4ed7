"""Active selection strategies (one public class per file)."""
from .adeada import ADEADA_ABLATIONS, ActiveADeADA
from .base import BaseActiveStrategy, RegionPool, Selection, take_within_budget
from .confidence import ActiveConfidence
from .entropy import ActiveEntropy
from .margin import ActiveMargin
from .random import ActiveRandom

__all__ = ['BaseActiveStrategy', 'RegionPool', 'Selection', 'take_within_budget',
           'ActiveConfidence', 'ActiveEntropy', 'ActiveMargin', 'ActiveRandom',
           'ActiveADeADA', 'ADEADA_ABLATIONS']
