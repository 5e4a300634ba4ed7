# Target-only DeepLabV3+ (deeplabv3plus_r101-d8_1xb2-40k_cityscapes-
# 512x1024.py) scored with the SYNTHIA -> Cityscapes protocol: the same
# training (all 19 classes of Cityscapes train), validation/test with
# `SynthiaIoUMetric` (mIoU over the 16 SYNTHIA classes, mIoU13 over the
# 13-class subset). The upper bound of SYNTHIA -> Cityscapes. There is no
# need to train again: evaluate the 19-class run's checkpoint with this
# config.
#
# Reference: ADeADA Table 1(b), Target Only, DeepLabV3+: 73.8 mIoU (16
# classes) / 78.4 mIoU13 (its per-class IoUs equal those of Table 1(a), i.e.
# one model scored twice).
#
# Commands, from the repository root, with CONFIG=this file and WORK the
# 19-class run's work dir:
#   WORK=work_dirs/deeplabv3plus_r101-d8_1xb2-40k_cityscapes-512x1024
#   python tools/test.py $CONFIG $WORK/iter_40000.pth
#   python tools/train.py $CONFIG      # trains as the 19-class config
#   offline (no ImageNet download): add
#       --cfg-options model.backbone.init_cfg=None
_base_ = './deeplabv3plus_r101-d8_1xb2-40k_cityscapes-512x1024.py'
val_evaluator = dict(_delete_=True, type='SynthiaIoUMetric')
test_evaluator = val_evaluator
