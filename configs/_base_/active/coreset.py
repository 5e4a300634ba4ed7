# CoreSet (see configs/cls_baselines/README.md).
strategy = dict(type='CoreSet', seed=0)
