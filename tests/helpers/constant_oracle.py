"""A test-only oracle: every bought pixel / image is class ``value``.

Swapping the run's oracle for this one must swap every label training
sees (``custom_imports`` loads it in subprocess runs)."""
import numpy as np

from mmseg_ada.active.oracles import BaseOracle
from mmseg_ada.registry import ORACLES


@ORACLES.register_module()
class ConstantOracle(BaseOracle):
    """Answers ``value`` for everything bought."""

    def __init__(self, value: int = 3) -> None:
        super().__init__()
        self.value = int(value)

    def bought_labels(self, index, stamps):
        return np.where(np.asarray(stamps) > 0, self.value,
                        255).astype(np.uint8)

    def image_label(self, index):
        return self.value
