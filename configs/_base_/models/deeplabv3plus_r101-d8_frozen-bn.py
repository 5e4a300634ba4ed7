# deeplabv3plus_r101-d8.py with the backbone's BatchNorm frozen (ImageNet
# statistics and affine parameters kept; see deeplabv2_r101_frozen-bn.py).
_base_ = ['./deeplabv3plus_r101-d8.py']
model = dict(
    backbone=dict(
        norm_cfg=dict(type='BN', requires_grad=False), norm_eval=True))
