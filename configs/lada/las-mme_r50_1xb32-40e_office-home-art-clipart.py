# LADA Table 1: LAS + MME, Office-Home Ar -> Cl, 5 % budget.
_base_ = [
    '../_base_/models/resnet50_bottleneck_cls_mme.py',
    '../_base_/datasets/office_home.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/cls_active_40e.py',
]
source, target = _base_.office_home_Art_train, _base_.office_home_Clipart_train
test = pool = _base_.office_home_Clipart_test  # transductive
model = dict(head=dict(num_classes=65))
train_dataloader = dict(
    dataset=dict(
        streams=dict(
            source=source,
            target=dict(type='LabeledSubsetDataset', dataset=target),
            unlabeled=dict(type='UnlabeledDataset', dataset=target))))
val_dataloader = test_dataloader = dict(dataset=test)
train_cfg = dict(
    selector=dict(
        strategy=dict(type='LAS', k=10, m=10, neighbours='unlabelled', seed=0),
        pool_dataloader=dict(_base_.cls_pool_loader, dataset=pool)))
