# AADA (see configs/cls_baselines/README.md).
strategy = dict(type='AADA', seed=0)
