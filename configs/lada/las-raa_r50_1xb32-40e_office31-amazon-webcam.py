# LADA Table 3: LAS + RAA, Office-31 A -> W, 5 % budget (K = 5, M = 10).
_base_ = [
    '../_base_/models/resnet50_bottleneck_cls.py',
    '../_base_/datasets/office31.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/cls_active_40e.py',
    '../_base_/active/las.py',
    '../_base_/active/lada_paa.py',
]
source, target = _base_.office31_amazon_train, _base_.office31_webcam_train
test = pool = _base_.office31_webcam_test  # transductive
model = dict(head=dict(num_classes=31))
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
        k=5))
val_dataloader = test_dataloader = dict(dataset=test)
custom_hooks = _base_.custom_hooks + [
    dict(
        _base_.paa_hook,
        bank_dataloader=dict(_base_.cls_pool_loader, dataset=pool))
]
train_cfg = dict(
    _base_.cls_active_protocol,
    selector=dict(
        _base_.cls_selector,
        strategy=dict(_base_.strategy, k=5),
        pool_dataloader=dict(_base_.cls_pool_loader, dataset=pool)))
