# LADA Table 5: LAS + RAA, DomainNet real -> clipart (345 classes), 10 %
# budget (M = 5); pool = the clipart train list, test = its test list.
_base_ = [
    '../_base_/cls_tasks/domainnet-real-clipart.py',
    '../_base_/active/lada_paa.py',
]
train_dataloader = dict(
    sampler=_base_.paa_sampler,
    dataset=dict(
        _delete_=True,
        type='PAADataset',
        source=_base_.source,
        target=dict(
            type='LabeledSubsetDataset',
            dataset=dict(_base_.target, pipeline=_base_.paa_anchor_pipeline)),
        proposal_pipeline=_base_.paa_proposal_pipeline,
        mode='raa',
        k=10))
custom_hooks = _base_.custom_hooks + [
    dict(
        _base_.paa_hook,
        bank_dataloader=dict(_base_.cls_pool_loader, dataset=_base_.pool))
]
train_cfg = dict(
    budget=dict(total=0.1),
    selector=dict(
        strategy=dict(type='LAS', k=10, m=5, neighbours='unlabelled', seed=0)))
