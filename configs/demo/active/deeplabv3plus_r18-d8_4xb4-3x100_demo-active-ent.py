# Active rounds on the built-in synthetic pair, mean region entropy (ENT).
_base_ = ['./deeplabv3plus_r18-d8_4xb4-3x100_demo-active-rand.py']
strategy = dict(type='ActiveEntropy', seed=0)
train_cfg = dict(strategy=strategy)
