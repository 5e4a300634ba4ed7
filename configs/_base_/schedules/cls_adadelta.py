# Optimiser of LADA / SDM / CLUE for the ResNet-50 classifier: Adadelta,
# lr 0.1, backbone lr x0.1, weight decay 1e-5, no learning-rate schedule.
# LADA keeps ONE optimiser for the whole run (its state survives the query
# rounds); SDM re-creates it every epoch.  The active-learning loop must not
# rebuild the optim wrapper between rounds (this file only defines it).
# The loop (train_cfg) is set by the experiment / active-learning configs.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adadelta', lr=0.1, weight_decay=1e-5),
    clip_grad=None,
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = []
