# LADA Table 5: LAS + LAA, VisDA-2017 synthetic -> real, 10 % budget
# (overall accuracy, as LADA's code reports).  M = 2.5: the paper's
# ceil(55 / (100 B) - 1) = 5 at B = 10 %, halved on VisDA ("we reduce the
# empirical value by a half"); the released code's 5:
# --cfg-options train_cfg.selector.strategy.m=5.
_base_ = [
    '../_base_/cls_tasks/visda-synthetic-real.py',
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
        mode='laa',
        k=10))
custom_hooks = [dict(type='RoundMetricHook', metric='top1_acc')] + [
    dict(
        _base_.paa_hook,
        bank_dataloader=dict(_base_.cls_pool_loader, dataset=_base_.pool))
]
train_cfg = dict(
    budget=dict(total=0.1),
    selector=dict(
        strategy=dict(
            type='LAS', k=10, m=2.5, neighbours='unlabelled', seed=0)))
