# LADA Table 1: LAS + fine-tuning (Eq. 3), Office-Home Ar -> Cl, 5 % budget.
_base_ = [
    '../_base_/models/resnet50_bottleneck_cls.py',
    '../_base_/datasets/office_home.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/cls_active_40e.py',
    '../_base_/active/las.py',
]
source, target = _base_.office_home_Art_train, _base_.office_home_Clipart_train
test = pool = _base_.office_home_Clipart_test  # transductive
model = dict(head=dict(num_classes=65))
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
