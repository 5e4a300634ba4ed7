# One image-level ADA task with the baselines' protocol: Office-Home Art ->
# Clipart (transductive: the Clipart list is pool and test).
# The ResNet-50 bottleneck classifier, the task's datasets, the schedule and
# the streams (source + bought target) and pool; what is left to a
# top-level config is the strategy (configs/cls_baselines):
#   _base_ = '../_base_/cls_tasks/office-home-art-clipart.py'
#   train_cfg = dict(selector=dict(strategy=dict(type='Entropy', seed=0)))
# ``source``, ``target``, ``pool`` and ``test`` are the datasets, for
# configs that change the streams (AADA's unlabelled stream, LADA's PAA).
_base_ = [
    '../models/resnet50_bottleneck_cls.py',
    '../datasets/office_home.py',
    '../default_runtime_cls.py',
    '../schedules/cls_active_40e.py',
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
    selector=dict(pool_dataloader=dict(_base_.cls_pool_loader, dataset=pool)))
