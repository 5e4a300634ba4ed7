# Table V(a)/VI "AL (w/o AS)", 20 % of the target pixels (Table VI: 43.2):
# labels only from G_h (no medium phase), ALL of G_l pseudo-labelled, no
# contrastive unit.  MCU_ABLATIONS['al_wo_as'].
_base_ = './ada-mcu_deeplabv2-r101_1xb2-60k_gta5-cityscapes-512x1024_20pct.py'
model = dict(sampler=dict(pseudo='all', medium_phase=False), contrastive=None)
