# BADGE (see configs/cls_baselines/README.md).
strategy = dict(type='BADGE', seed=0)
