_base_ = '../_base_/seg_tasks/deeplabv3plus-r101-d8_gta5-cityscapes.py'
# the AdaptSegNet warm-up's discriminator (ndf 64, softmax maps, source
# label 0), frozen: it serves 'domain' (P(source) per location) to the
# selection pass; its weights are the warm-up checkpoint's discriminator.*
model = dict(discriminator=dict(type='FCDiscriminator'))
# Region-level AADA (ADeADA supplement B, Figure 3): mean pixel entropy x
# (1 - d) / d, d = the region's mean P(source) of a domain discriminator.
# The model must serve 'domain': the top-level config keeps the AdaptSegNet
# warm-up's discriminator, frozen (`model.discriminator`, its weights come
# with `load_from`).  See configs/active_baselines/README.md.
train_cfg = dict(
    selector=dict(
        strategy=dict(type='RegionAADA', seed=0, score='entropy_weight')))
