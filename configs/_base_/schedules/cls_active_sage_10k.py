# SAGE's inductive protocol (Bouvier et al.; see configs/sage/README.md):
# half of the target domain is the training / annotation pool, the other
# half is held out for testing (tools/dataset_converters/split_image_list.py);
# 10k iterations of UDA (TSF) from ImageNet, then r annotation rounds of b
# images (10 x 8 / 16 / 128 on Office-31 / VisDA, 6 x 21 / 63 on
# DomainNet-126), n_it = 1000 iterations after each (not given in the
# paper: our choice), without re-initialisation; Omega_{S+T}: mean CE of
# 32 source + mean CE of 32 labelled target images, TSF on the source and
# 32 unlabelled target images of the whole pool.  SGD (lr 0.01, backbone
# 0.001, momentum 0.9, Nesterov, weight decay 5e-4, constant: the paper
# gives none of these).  Validation on the held-out half after the warm-up
# (round 0) and after every round.
_base_ = ['./cls_active_40e.py']
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='SGD', lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4),
    clip_grad=None,
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
train_cfg = dict(
    _delete_=True,
    type='ActiveLoop',
    max_iters=20000,
    num_rounds=10,
    round_iters=[
        10000, 11000, 12000, 13000, 14000, 15000, 16000, 17000, 18000, 19000
    ],
    budget=dict(per_round=16),
    val_interval=10000,
    selector=_base_.cls_selector)
default_hooks = dict(checkpoint=dict(interval=1000))
