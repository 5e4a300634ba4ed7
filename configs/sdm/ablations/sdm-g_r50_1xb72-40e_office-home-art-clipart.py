# SDM Table 3, row "SDM-G": margin loss (Eq. 1) + auxiliary CE, SDM-G query
# (Eq. 8-9), Office-Home Ar -> Cl.
_base_ = '../sdm-ag_r50_1xb72-40e_office-home-art-clipart.py'
model = dict(
    head=dict(loss=dict(form='paper', modulation=False, max_logit_weight=0.0)))
