_base_ = '../_base_/seg_tasks/deeplabv3plus-r101-d8_synthia-cityscapes.py'
# the AdaptSegNet warm-up's discriminator (ndf 64, softmax maps, source
# label 0), frozen: it serves 'domain' (P(source) per location) to the
# selection pass; its weights are the warm-up checkpoint's discriminator.*
model = dict(discriminator=dict(type='FCDiscriminator'))
train_cfg = dict(
    selector=dict(
        strategy=dict(type='RegionAADA', seed=0, score='entropy_weight')))
