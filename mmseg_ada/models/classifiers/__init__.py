"""Image classifiers for active domain adaptation."""
from .ada_image_classifier import ADAImageClassifier

__all__ = ['ADAImageClassifier']
