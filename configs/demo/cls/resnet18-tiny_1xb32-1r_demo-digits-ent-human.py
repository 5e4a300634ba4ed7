# One image-level round on the built-in digits pair, answered by a person
# (`make demo-annotate`): 7 source-only epochs, then the run stops (exit
# status 75) with the 18 picked images exported to active/annotate/round_1/
# for Label Studio, CVAT or an image list; `tools/annotate.py import` then
# `--resume` trains 3 more epochs.
_base_ = './resnet18-tiny_1xb32-5r_demo-digits-ent.py'
train_cfg = dict(
    max_epochs=10,
    num_rounds=1,
    round_epochs=[7],
    oracle=dict(type='HumanOracle', document_root='data'))
param_scheduler = [
    dict(type='RestartPolyLR', periods=[203, 87], power=0.9, by_epoch=False)
]
