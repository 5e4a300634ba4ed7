# VisDA-2017 in LADA's code: one source epoch, then 10 epochs with a query
# at the start of each of the epochs 1, 3, 5, 7, 9 (0, 2, ..., 8 after the
# source epoch); otherwise as cls_active_40e.py.
_base_ = ['./cls_active_40e.py']
train_cfg = dict(max_epochs=11, round_epochs=[1, 3, 5, 7, 9])
custom_hooks = [dict(type='RoundMetricHook', metric='mean_class_acc')]
