# SDM-AG on the digits pair with the SDM paper's training list: the bought
# target images join the source list (D_s u D~_t, JointLabeledDataset) and
# batches of 32 are drawn from it, as the paper and its code train.  The
# demo's SDM-AG (...-sdm-ag.py) trains on the demo's streams, like every
# other demo method; this one shows what the list alone changes.
_base_ = './resnet18-tiny_1xb32-5r_demo-digits-sdm-ag.py'
train_dataloader = dict(
    dataset=dict(
        streams=dict(
            _delete_=True,
            source=dict(
                type='JointLabeledDataset',
                source=_base_.demo_cls_source,
                target=dict(
                    type='LabeledSubsetDataset',
                    dataset=_base_.demo_cls_target)))))
