# SGD alternative for the ResNet-50 classifier (the usual DA recipe of
# DANN/CDAN/MME codes): lr 0.01 for the bottleneck, classifier and
# regularisers, 0.001 for the backbone, momentum 0.9, Nesterov, weight decay
# 5e-4, constant learning rate (those codes decay it as lr * (1 + g*p)^-0.75,
# which mmengine has no scheduler for; add one in param_scheduler if
# needed).  One optimiser for the whole run, as in cls_adadelta.py.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='SGD', lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4),
    clip_grad=None,
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = []
