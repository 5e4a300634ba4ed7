# Table V/VI "AL (w MCU_d)" = "AL (w p2p+c2c)", 20 % of the target pixels
# (Table VI: 66.1 for both rows): adaptive sampling + all three levels
# (intra-image, cross-image, cross-domain; p2p and c2c), no DCCM.
# MCU_ABLATIONS['al_w_mcu_d'].
_base_ = './ada-mcu_deeplabv2-r101_1xb2-60k_gta5-cityscapes-512x1024_20pct.py'
model = dict(dccm=None)
