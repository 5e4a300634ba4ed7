# Target-only bound of the demo: the same tiny DeepLabV3+ and schedule as
# deeplabv3plus_r18-d8_4xb4-600_demo-gta5-cityscapes-128x256.py, trained on
# the LABELLED synthetic "Cityscapes" train split instead of the synthetic
# "GTA5" source, and validated on the same target val split.  The gap
# between the two is what active domain adaptation can close (default pair,
# seed 0: 25.5 source-only vs. 65.0 target-only mIoU on the target val split):
#   python tools/train.py configs/demo/<this file>.py
_base_ = './deeplabv3plus_r18-d8_4xb4-600_demo-gta5-cityscapes-128x256.py'
# the labelled stream of SourceTargetDataset is the target train split
train_dataloader = dict(
    dataset=dict(
        type='SourceTargetDataset', source={{_base_.target_train_dataset}}))
