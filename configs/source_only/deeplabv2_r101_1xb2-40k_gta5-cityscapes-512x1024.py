# Source-only DeepLabV2 (ResNet-101, ImageNet init, frozen backbone BN) on
# GTA5 -> Cityscapes: the lower bound of the benchmark, no target data.
# Trains on GTA5 (19 Cityscapes classes; images resized to 1280x720,
# random 512x1024 crops, flip, photometric distortion), 2 images per
# iteration, 40k iterations of the DA recipe (SGD lr 2.5e-4, momentum 0.9,
# wd 5e-4, heads x10, poly 0.9 to 0); validates every 4k iterations on
# Cityscapes val (predicted at 1024x512, 19-class mIoU at full resolution).
# Model: plain mmseg `EncoderDecoder` + `SegDataPreProcessor` (the model
# base); its checkpoints load into the source+target `ADAEncoderDecoder`
# (same parameter names), e.g. as `load_from` of a fine-tuning config.
#
# Reference: ADeADA reports no source-only row. AdaptSegNet (Tsai et al.,
# CVPR 2018, Table 1) reports 36.6 mIoU for source-only DeepLabV2 R101
# (trained at 1280x720 without crops; the AdaptSegNet paper was not at
# hand to check).
#
# Commands, with CONFIG=this file, from the repository root:
#   python tools/train.py $CONFIG              # 1 GPU
#   bash tools/dist_train.sh $CONFIG 8         # 8 GPUs, 2 images each
#   python tools/test.py $CONFIG work_dirs/<config name>/iter_40000.pth
#   offline (no ImageNet download): add
#       --cfg-options model.backbone.init_cfg=None
_base_ = [
    '../_base_/models/deeplabv2_r101_frozen-bn.py',
    '../_base_/datasets/gta5.py',
    '../_base_/datasets/cityscapes_target.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/da_sgd_poly.py',
]
crop_size = (512, 1024)
# pad training batches to the crop size (mmseg sets this per config)
data_preprocessor = dict(size=crop_size)
model = dict(data_preprocessor=data_preprocessor)
train_dataloader = {{_base_.gta5_train_dataloader}}
