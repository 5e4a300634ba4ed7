"""Segmentors for domain adaptation."""
from .ada_encoder_decoder import ADAEncoderDecoder
from .adversarial_encoder_decoder import AdversarialEncoderDecoder
from .mcu_encoder_decoder import MCUEncoderDecoder

__all__ = [
    'ADAEncoderDecoder', 'AdversarialEncoderDecoder', 'MCUEncoderDecoder'
]
