# SAGE Table 1 (3-shot budget): TSF + Sage + Omega_MME, DomainNet-126
# real -> clipart, inductive (python tools/dataset_converters/
# split_image_list.py
# data/domainnet/image_list_126/labeled_source_images_clipart.txt --seed 0),
# 6 rounds of b = 63 (63 x 6 = 378 labels = 3 per class on
# average) after a 10k-iteration TSF + MME warm-up.
_base_ = './sage-mme_r50_1xb32-10k-6x1k-b21_domainnet126-real-clipart.py'
train_cfg = dict(budget=dict(per_round=63))
