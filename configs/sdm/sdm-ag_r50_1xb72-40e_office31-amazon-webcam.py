# SDM Table 2: SDM-AG (SDM-A loss, Eq. 7; SDM-G query, Eq. 8-9), Office-31
# A -> W, 5 rounds of 1 % of the target.
_base_ = [
    '../_base_/models/resnet50_bottleneck_cls_sdm.py',
    '../_base_/datasets/office31.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/cls_active_sdm_40e.py',
]
source, target = _base_.office31_amazon_train, _base_.office31_webcam_train
test = pool = _base_.office31_webcam_test  # transductive
model = dict(head=dict(num_classes=31))
train_dataloader = dict(
    dataset=dict(
        streams=dict(
            source=dict(
                type='JointLabeledDataset',
                source=source,
                target=dict(type='LabeledSubsetDataset', dataset=target)))))
val_dataloader = test_dataloader = dict(dataset=test)
train_cfg = dict(
    selector=dict(
        strategy=dict(type='SDM', lam=0.01, margin=1.0, seed=0),
        pool_dataloader=dict(_base_.cls_pool_loader, dataset=pool)))
