"""Imported by a test config (``custom_imports``): CPU convolutions without
oneDNN, so a sample's outputs do not depend on the other samples of its
batch (oneDNN blocks over the batch and rounds differently for 1 and 2
images, ~1e-6).  A 1-process run with 2 images per step and a 2-process run
with 1 image each then score every pixel bit-identically, and a threshold
that is an order statistic of the scores (``MCUAdaptiveSampler``'s
calibrated ``pi_high``) splits them identically."""
import torch

torch.backends.mkldnn.enabled = False
