# SYNTHIA -> Cityscapes with online acquisition (ADA-MCU): labelled SYNTHIA
# RAND-CITYSCAPES samples plus UNLABELLED Cityscapes train images, 2 + 2 per
# iteration (target side: online_cityscapes_target.py).
# The model predicts and buys all 19 Cityscapes classes (the oracle answers
# Cityscapes trainIds; SYNTHIA has no terrain, truck, train), as the ADeADA
# SYNTHIA configs do.  Validation: Cityscapes val scored with
# SynthiaIoUMetric, 16-class mIoU and mIoU13 (the paper's Table II metric).
_base_ = ['./synthia.py', './online_cityscapes_target.py']
train_dataloader = dict(
    batch_size=2,  # + 2 unlabelled target images: the paper's 2 + 2
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='RoundInfiniteSampler', shuffle=True),
    collate_fn=dict(type='multi_stream_collate'),
    dataset=dict(
        type='SourceTargetDataset',
        source=_base_.synthia_train_dataset,
        target=_base_.online_target_dataset))
val_evaluator = dict(_delete_=True, type='SynthiaIoUMetric')
test_evaluator = val_evaluator
