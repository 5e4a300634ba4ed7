# Table V(a)/VI "AL (w AS)", 20 % of the target pixels (Table VI: 64.3):
# adaptive sampling (G_h then G_m labelled, as many G_l pixels
# pseudo-labelled), no contrastive unit.  MCU_ABLATIONS['al_w_as'].
_base_ = './ada-mcu_deeplabv2-r101_1xb2-60k_gta5-cityscapes-512x1024_20pct.py'
model = dict(contrastive=None)
