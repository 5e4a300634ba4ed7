# deeplabv2_r101.py with the backbone's BatchNorm frozen: ImageNet
# statistics and affine parameters are kept (`requires_grad=False`, and
# `norm_eval=True` keeps the BN layers in eval mode during training, so the
# running statistics never change). This is the usual choice with the small
# batches (1-2 images) of the DA recipes. Head BN layers stay trainable.
# The same two keys freeze any mmseg ResNet, e.g. on the command line:
#   --cfg-options model.backbone.norm_cfg.type=BN \
#       model.backbone.norm_cfg.requires_grad=False \
#       model.backbone.norm_eval=True
_base_ = ['./deeplabv2_r101.py']
model = dict(
    backbone=dict(
        norm_cfg=dict(type='BN', requires_grad=False), norm_eval=True))
