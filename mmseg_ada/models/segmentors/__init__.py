"""Segmentors for domain adaptation."""
from .ada_encoder_decoder import ADAEncoderDecoder

__all__ = ['ADAEncoderDecoder']
