# LADA Table 3: LAS + RAA, Office-31 A -> W, 5 % budget (K = 5, M = 10).
_base_ = [
    '../_base_/cls_tasks/office31-amazon-webcam.py',
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
        k=5))
custom_hooks = _base_.custom_hooks + [
    dict(
        _base_.paa_hook,
        bank_dataloader=dict(_base_.cls_pool_loader, dataset=_base_.pool))
]
train_cfg = dict(
    selector=dict(
        strategy=dict(type='LAS', k=5, m=10, neighbours='unlabelled', seed=0)))
