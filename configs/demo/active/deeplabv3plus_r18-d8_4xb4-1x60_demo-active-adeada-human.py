# One ADeADA round on the built-in synthetic pair, answered by a person
# (`make demo-annotate`): the run stops after the round's selection (exit
# status 75) with the picks exported to active/annotate/round_1/ for Label
# Studio, CVAT or plain PNGs; `tools/annotate.py import` then `--resume`.
_base_ = './deeplabv3plus_r18-d8_4xb4-5x60_demo-active-adeada.py'
num_rounds = 1
iters_per_round = 60
train_cfg = dict(
    num_rounds=num_rounds,
    max_iters=num_rounds * iters_per_round,
    # image URLs of the Label Studio tasks are relative to data/ (start
    # Label Studio with LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT=<repo>/data)
    oracle=dict(type='HumanOracle', document_root='data'))
param_scheduler = [
    dict(
        type='RestartPolyLR',
        periods=[iters_per_round] * num_rounds,
        power=0.9,
        by_epoch=False)
]
