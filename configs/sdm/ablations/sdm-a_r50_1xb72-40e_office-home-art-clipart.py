# SDM Table 3, row "SDM-A": SDM-A loss (Eq. 7), margin sampling (Eq. 3),
# Office-Home Ar -> Cl.
_base_ = '../sdm-ag_r50_1xb72-40e_office-home-art-clipart.py'
train_cfg = dict(selector=dict(strategy=dict(lam=0.0)))
