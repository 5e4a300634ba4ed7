# SAGE Table 1 (1-shot budget): TSF + Sage + Omega_MME, DomainNet-126
# real -> clipart, inductive (python tools/dataset_converters/
# split_image_list.py
# data/domainnet/image_list_126/labeled_source_images_clipart.txt --seed 0),
# 6 rounds of b = 21 (21 x 6 = 126 labels = 1 per class on
# average) after a 10k-iteration TSF + MME warm-up.
_base_ = [
    '../_base_/models/resnet50_bottleneck_cls_tsf_mme.py',
    '../_base_/datasets/domainnet.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/cls_active_sage_10k.py',
]
source = _base_.domainnet126_real
target = dict(
    _base_.domainnet126_clipart,
    ann_file='image_list_126/labeled_source_images_clipart_s0_half1.txt')
pool = dict(target, pipeline=_base_.domainnet_test_pipeline, test_mode=True)
test = dict(
    pool, ann_file='image_list_126/labeled_source_images_clipart_s0_half2.txt')
model = dict(
    head=dict(num_classes=126),
    regularizers=[
        _base_.mme_regularizer,
        dict(_base_.tsf_regularizer, num_classes=126)
    ])
train_dataloader = dict(
    dataset=dict(
        streams=dict(
            source=source,
            target=dict(type='LabeledSubsetDataset', dataset=target),
            unlabeled=dict(type='UnlabeledDataset', dataset=target))))
val_dataloader = test_dataloader = dict(dataset=test)
train_cfg = dict(
    max_iters=16000,
    num_rounds=6,
    round_iters=[10000, 11000, 12000, 13000, 14000, 15000],
    budget=dict(per_round=21),
    selector=dict(
        strategy=dict(type='SAGE', diversity='farthest', pop=True, seed=0),
        pool_dataloader=dict(_base_.cls_pool_loader, dataset=pool)))
