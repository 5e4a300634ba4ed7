_base_ = [
    '../_base_/models/resnet50_bottleneck_cls.py',
    '../_base_/datasets/domainnet.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/cls_active_40e.py',
    '../_base_/active/coreset.py',
]
source, target = _base_.domainnet_real_train, _base_.domainnet_clipart_train
pool = dict(target, pipeline=_base_.domainnet_test_pipeline, test_mode=True)
test = _base_.domainnet_clipart_test
model = dict(head=dict(num_classes=345))
train_dataloader = dict(
    dataset=dict(
        streams=dict(
            source=source,
            target=dict(type='LabeledSubsetDataset', dataset=target))))
val_dataloader = test_dataloader = dict(dataset=test)
train_cfg = dict(
    _base_.cls_active_protocol,
    selector=dict(
        _base_.cls_selector,
        strategy=_base_.strategy,
        pool_dataloader=dict(_base_.cls_pool_loader, dataset=pool)))
