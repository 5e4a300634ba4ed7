# deeplabv3plus_r18-d8_tiny.py for the demo's active rounds: the backbone's
# BatchNorm keeps the source-only model's running statistics (norm_eval;
# its affine parameters still train).  A round fine-tunes on a few images
# per step, most of whose pixels are unlabelled; re-estimating the
# statistics from them moved the demo's mIoU by up to 4.6 points between
# rounds (3 seeds, RAND).  The paper configs freeze BatchNorm the same way
# (deeplabv3plus_r101-d8_frozen-bn.py).
_base_ = ['./deeplabv3plus_r18-d8_tiny.py']
model = dict(backbone=dict(norm_eval=True))
