# CLUE (see configs/cls_baselines/README.md).
strategy = dict(type='CLUE', seed=0)
