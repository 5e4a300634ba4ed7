# GTA5 -> Cityscapes with online acquisition (ADA-MCU): every training item
# is a labelled GTA5 sample plus an UNLABELLED Cityscapes train image whose
# pixels the model may buy (online_cityscapes_target.py: pixel index, fixed
# 1024x512 grid, oracle); 2 + 2 images per iteration as in the paper; the
# sampler restarts and reseeds after a resume (RoundInfiniteSampler).
# Validation: Cityscapes val, 19-class mIoU.
_base_ = ['./gta5.py', './online_cityscapes_target.py']
train_dataloader = dict(
    batch_size=2,  # + 2 unlabelled target images: the paper's 2 + 2
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='RoundInfiniteSampler', shuffle=True),
    collate_fn=dict(type='multi_stream_collate'),
    dataset=dict(
        type='SourceTargetDataset',
        source=_base_.gta5_train_dataset,
        target=_base_.online_target_dataset))
