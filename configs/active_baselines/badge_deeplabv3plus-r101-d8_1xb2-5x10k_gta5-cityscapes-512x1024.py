_base_ = '../_base_/seg_tasks/deeplabv3plus-r101-d8_gta5-cityscapes.py'
# Region-level BADGE (ADeADA supplement B, Figure 3): k-means++ seeds of the
# regions' gradient embeddings (mean softmax x mean feature), bought in
# seeding order within the pixel budget.  See
# configs/active_baselines/README.md.
train_cfg = dict(
    selector=dict(strategy=dict(type='RegionBADGE', seed=0, first='max_norm')))
