# LADA Table 5: LAS + RAA, DomainNet real -> clipart (345 classes), 10 %
# budget (M = 5); pool = the clipart train list, test = its test list.
_base_ = [
    '../_base_/models/resnet50_bottleneck_cls.py',
    '../_base_/datasets/domainnet.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/cls_active_40e.py',
    '../_base_/active/las.py',
    '../_base_/active/lada_paa.py',
]
source, target = _base_.domainnet_real_train, _base_.domainnet_clipart_train
pool = dict(target, pipeline=_base_.domainnet_test_pipeline, test_mode=True)
test = _base_.domainnet_clipart_test
model = dict(head=dict(num_classes=345))
train_dataloader = dict(
    sampler=_base_.paa_sampler,
    dataset=dict(
        _delete_=True,
        type='PAADataset',
        source=source,
        target=dict(
            type='LabeledSubsetDataset',
            dataset=dict(target, pipeline=_base_.paa_anchor_pipeline)),
        proposal_pipeline=_base_.paa_proposal_pipeline,
        mode='raa',
        k=10))
val_dataloader = test_dataloader = dict(dataset=test)
custom_hooks = _base_.custom_hooks + [
    dict(
        _base_.paa_hook,
        bank_dataloader=dict(_base_.cls_pool_loader, dataset=pool))
]
train_cfg = dict(
    _base_.cls_active_protocol,
    budget=dict(total=0.1),
    selector=dict(
        _base_.cls_selector,
        strategy=dict(_base_.strategy, m=5),
        pool_dataloader=dict(_base_.cls_pool_loader, dataset=pool)))
