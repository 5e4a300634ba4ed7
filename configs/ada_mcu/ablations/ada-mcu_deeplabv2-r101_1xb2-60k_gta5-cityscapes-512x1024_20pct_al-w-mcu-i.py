# Table V(a)/VI "AL (w MCU_i)", 20 % of the target pixels (Table VI: 65.5):
# adaptive sampling + image-level units (intra- and cross-image, p2p and
# c2c), no DCCM.  MCU_ABLATIONS['al_w_mcu_i'].
_base_ = './ada-mcu_deeplabv2-r101_1xb2-60k_gta5-cityscapes-512x1024_20pct.py'
model = dict(
    contrastive=dict(
        type='MCUContrastiveLoss',
        units=('intra_p2p', 'intra_c2c', 'cross_image_p2p',
               'cross_image_c2c')),
    dccm=None)
