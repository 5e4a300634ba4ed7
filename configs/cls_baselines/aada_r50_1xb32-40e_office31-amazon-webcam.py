# AADA (Su et al., WACV 2020): DANN + importance-weighted entropy.
_base_ = [
    '../_base_/models/resnet50_bottleneck_cls_dann.py',
    '../_base_/datasets/office31.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/cls_active_40e.py',
    '../_base_/active/aada.py',
]
source, target = _base_.office31_amazon_train, _base_.office31_webcam_train
test = pool = _base_.office31_webcam_test  # transductive
model = dict(head=dict(num_classes=31))
train_dataloader = dict(
    dataset=dict(
        streams=dict(
            source=source,
            target=dict(type='LabeledSubsetDataset', dataset=target),
            unlabeled=dict(type='UnlabeledDataset', dataset=target))))
val_dataloader = test_dataloader = dict(dataset=test)
train_cfg = dict(
    _base_.cls_active_protocol,
    selector=dict(
        _base_.cls_selector,
        strategy=_base_.strategy,
        pool_dataloader=dict(_base_.cls_pool_loader, dataset=pool)))
