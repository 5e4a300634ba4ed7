# SAGE Fig. 3: TSF + Sage + Omega_{S+T}, Office-31 A -> W, inductive (the
# webcam list split in halves: python tools/dataset_converters/
# split_image_list.py data/office31/image_list/webcam.txt --seed 0),
# 10 rounds of b = 8 after a 10k-iteration TSF warm-up.
_base_ = [
    '../_base_/models/resnet50_bottleneck_cls_tsf.py',
    '../_base_/datasets/office31.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/cls_active_sage_10k.py',
]
source = _base_.office31_amazon_train
target = dict(
    _base_.office31_webcam_train, ann_file='image_list/webcam_s0_half1.txt')
pool = dict(target, pipeline=_base_.office31_test_pipeline, test_mode=True)
test = dict(pool, ann_file='image_list/webcam_s0_half2.txt')
model = dict(
    head=dict(num_classes=31),
    regularizers=[dict(_base_.tsf_regularizer, num_classes=31)])
train_dataloader = dict(
    dataset=dict(
        streams=dict(
            source=source,
            target=dict(type='LabeledSubsetDataset', dataset=target),
            unlabeled=dict(type='UnlabeledDataset', dataset=target))))
val_dataloader = test_dataloader = dict(dataset=test)
# SAGE (Bouvier et al.; see configs/sage/README.md): the stochastic
# adversarial gradient embedding of the TSF discriminator (Eq. 3-6) with
# Algorithm 1's farthest-first diversity.  The model must serve 'disc_grad'
# (TSFRegularizer).
train_cfg = dict(
    budget=dict(per_round=8),
    selector=dict(
        strategy=dict(type='SAGE', diversity='farthest', pop=True, seed=0),
        pool_dataloader=dict(_base_.cls_pool_loader, dataset=pool)))
