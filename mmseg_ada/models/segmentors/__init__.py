"""Segmentors for domain adaptation."""
from .ada_encoder_decoder import ADAEncoderDecoder
from .adversarial_encoder_decoder import AdversarialEncoderDecoder

__all__ = ['ADAEncoderDecoder', 'AdversarialEncoderDecoder']
