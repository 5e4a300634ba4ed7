# Table V(b)/VI "AL (w p2p)", 20 % of the target pixels (Table VI: 65.4):
# adaptive sampling + pixel-to-pixel units at all three levels, no c2c, no
# DCCM.  MCU_ABLATIONS['al_w_p2p'].
_base_ = './ada-mcu_deeplabv2-r101_1xb2-60k_gta5-cityscapes-512x1024_20pct.py'
model = dict(
    contrastive=dict(
        type='MCUContrastiveLoss',
        units=('intra_p2p', 'cross_image_p2p', 'cross_domain_p2p')),
    dccm=None)
