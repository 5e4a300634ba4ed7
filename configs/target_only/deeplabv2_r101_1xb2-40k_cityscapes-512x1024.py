# Target-only ("full supervision") DeepLabV2 (ResNet-101, ImageNet init,
# frozen backbone BN): the upper bound of GTA5 -> Cityscapes, every target
# label, no source data.
# Trains on Cityscapes train (2975 images, gtFine labelTrainIds; resized to
# 1024x512 as in the DA protocol, flip), 2 images per iteration, 40k
# iterations of the DA recipe (SGD lr 2.5e-4, momentum 0.9, wd 5e-4, heads
# x10, poly 0.9 to 0); validates every 4k iterations on Cityscapes val
# (predicted at 1024x512, 19-class mIoU at full resolution).
# Model: plain mmseg `EncoderDecoder` + `SegDataPreProcessor`.
#
# Reference: ADeADA Table 1(a), Target Only, DeepLabV2: 71.3 mIoU
# (19 classes, Cityscapes val). SYNTHIA protocol (16 classes) of the same
# model: ..._cityscapes-512x1024_synthia-eval.py (72.5 mIoU / 77.5 mIoU13).
#
# Commands, with CONFIG=this file, from the repository root:
#   python tools/train.py $CONFIG              # 1 GPU
#   bash tools/dist_train.sh $CONFIG 8         # 8 GPUs, 2 images each
#   python tools/test.py $CONFIG work_dirs/<config name>/iter_40000.pth
#   offline (no ImageNet download): add
#       --cfg-options model.backbone.init_cfg=None
_base_ = [
    '../_base_/models/deeplabv2_r101_frozen-bn.py',
    '../_base_/datasets/cityscapes_target.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/da_sgd_poly.py',
]
crop_size = (512, 1024)
# pad training batches to the crop size (mmseg sets this per config)
data_preprocessor = dict(size=crop_size)
model = dict(data_preprocessor=data_preprocessor)
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset={{_base_.cityscapes_train_dataset}})
