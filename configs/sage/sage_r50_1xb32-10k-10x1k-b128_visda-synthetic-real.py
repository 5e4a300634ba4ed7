# SAGE Fig. 3: TSF + Sage + Omega_{S+T}, VisDA-2017 synthetic -> real,
# inductive (python tools/dataset_converters/split_image_list.py
# data/visda/image_list/validation.txt --seed 0), 10 rounds of b = 128 after
# a 10k-iteration TSF warm-up.
_base_ = './sage_r50_1xb32-10k-10x1k-b16_visda-synthetic-real.py'
train_cfg = dict(budget=dict(per_round=128))
