_base_ = [
    '../_base_/models/deeplabv3plus_r101-d8_frozen-bn.py',
    '../_base_/datasets/active_gta5_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/active_5x10k.py',
    '../_base_/active/region_clue.py',
]
load_from = ('work_dirs/adaptseg_deeplabv3plus-r101-d8_1xb2-100k_'
             'gta5-cityscapes-512x1024/iter_100000.pth')
randomness = dict(seed=0)
model = dict(data_preprocessor=dict(size=(512, 1024)))
train_cfg = dict(
    _base_.active_protocol,
    _delete_=True,
    selector=dict(_base_.active_pool, strategy=_base_.strategy))
