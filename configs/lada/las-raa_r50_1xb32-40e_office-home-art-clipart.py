# LADA Table 2: LAS + RAA, Office-Home Ar -> Cl, 10 % budget (M = 5).
_base_ = './las-laa_r50_1xb32-40e_office-home-art-clipart.py'
train_dataloader = dict(dataset=dict(mode='raa'))
