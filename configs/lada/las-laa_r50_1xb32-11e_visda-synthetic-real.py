# LADA Table 5: LAS + LAA, VisDA-2017 synthetic -> real, 10 % budget
# (M = 5; overall accuracy, as LADA's code reports).
_base_ = [
    '../_base_/models/resnet50_bottleneck_cls.py',
    '../_base_/datasets/visda.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/cls_active_visda_11e.py',
    '../_base_/active/las.py',
    '../_base_/active/lada_paa.py',
]
source, target = _base_.visda_train_train, _base_.visda_validation_train
test = pool = _base_.visda_validation_test  # transductive
model = dict(head=dict(num_classes=12))
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
        mode='laa',
        k=10))
val_dataloader = test_dataloader = dict(dataset=test)
val_evaluator = test_evaluator = _base_.visda_evaluator
custom_hooks = [
    dict(type='RoundMetricHook', metric='top1_acc'),
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
