# SDM Table 3, row "SDM": margin loss (Eq. 1) + auxiliary CE, margin
# sampling (Eq. 3), Office-Home Ar -> Cl.
_base_ = '../sdm-ag_r50_1xb72-40e_office-home-art-clipart.py'
model = dict(
    head=dict(loss=dict(form='paper', modulation=False, max_logit_weight=0.0)))
train_cfg = dict(selector=dict(strategy=dict(lam=0.0)))
