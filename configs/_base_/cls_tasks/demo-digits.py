# The built-in digits pair of `make demo-cls` (tools/run_demo.py cls): the
# tiny ResNet-18 classifier, clean digits -> shifted digits, 5 rounds of 2%
# of the target images, the streams (source + bought target) and the pool;
# a top-level config adds the strategy (configs/demo/cls):
#   _base_ = '../../_base_/cls_tasks/demo-digits.py'
#   train_cfg = dict(selector=dict(strategy=dict(type='Entropy', seed=0)))
_base_ = [
    '../models/resnet18-tiny_cls.py',
    '../datasets/demo_cls_digits.py',
    '../default_runtime_cls.py',
    '../schedules/demo_cls_active_5r.py',
]
randomness = dict(seed=0)
train_dataloader = dict(
    dataset=dict(
        streams=dict(
            source=_base_.demo_cls_source,
            target=dict(
                type='LabeledSubsetDataset', dataset=_base_.demo_cls_target))))
val_dataloader = test_dataloader = dict(dataset=_base_.demo_cls_target)
train_cfg = dict(
    selector=dict(
        pool_dataloader=dict(
            _base_.cls_pool_loader, dataset=_base_.demo_cls_target)))
