# SAGE Fig. 3: TSF + Sage + Omega_{S+T}, Office-31 W -> A, inductive (the
# amazon list split in halves: python tools/dataset_converters/
# split_image_list.py data/office31/image_list/amazon.txt --seed 0),
# 10 rounds of b = 16 after a 10k-iteration TSF warm-up.
_base_ = [
    '../_base_/models/resnet50_bottleneck_cls_tsf.py',
    '../_base_/datasets/office31.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/cls_active_sage_10k.py',
]
source = _base_.office31_webcam_train
target = dict(
    _base_.office31_amazon_train, ann_file='image_list/amazon_s0_half1.txt')
pool = dict(target, pipeline=_base_.office31_test_pipeline, test_mode=True)
test = dict(pool, ann_file='image_list/amazon_s0_half2.txt')
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
train_cfg = dict(
    budget=dict(per_round=16),
    selector=dict(
        strategy=dict(type='SAGE', diversity='farthest', pop=True, seed=0),
        pool_dataloader=dict(_base_.cls_pool_loader, dataset=pool)))
