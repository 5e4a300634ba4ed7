"""Segmentors for domain adaptation."""
from .ada_encoder_decoder import ADAEncoderDecoder
from .adversarial_encoder_decoder import AdversarialEncoderDecoder
from .mcu_encoder_decoder import MCU_ABLATIONS, MCUEncoderDecoder

__all__ = [
    'ADAEncoderDecoder', 'AdversarialEncoderDecoder', 'MCU_ABLATIONS',
    'MCUEncoderDecoder'
]
