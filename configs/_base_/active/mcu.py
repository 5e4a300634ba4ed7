# ADA-MCU (Sec. III): the segmentor buys target pixels online (adaptive
# sampling, Algorithm 1) and adds the multi-level contrastive units weighted
# by the DCCM.  `mcu_model` is merged into a DeepLabV2 / DeepLabV3+ model
# base by the top-level config (a base may not redefine `model`):
#   model = dict(_base_.mcu_model, data_preprocessor=dict(size=crop_size))
# Both model bases have what the method needs: the auxiliary head whose
# output is p_hat in the KL of Eq. 1-3 (DeepLabV2: the layer3 classifier;
# DeepLabV3+: the FCN head) and a decode head with a feature map for the
# contrastive units.  Everything the paper leaves open is the components'
# default; see configs/ada_mcu/README.md and the docstrings of
# MCUEncoderDecoder, MCUAdaptiveSampler, MCUContrastiveLoss and DCCM.
#
# epoch_length: iterations per pass over the 2975 Cityscapes train images
# with 2 target images per iteration in ONE process (the paper's single
# GPU): ceil(2975 / 2) = 1488.  With N processes it is ceil(2975 / (2 N)):
#   --cfg-options model.sampler.epoch_length=744   (2 GPUs, 2 + 2 each)
# The target image of each item is drawn at random (SourceTargetDataset), so
# a decay period is 2975 target draws: every image once on average.
#
# vis_interval: every 5000 iterations rank 0 writes
# <work_dir>/<timestamp>/vis_data/mcu_acquisition/mcu_acquisition_<iter>.png
# (target crops | uncertainty groups | bought | pseudo-labelled).
mcu_model = dict(
    type='MCUEncoderDecoder',
    sampler=dict(
        type='MCUAdaptiveSampler',
        decay_rate=0.9,  # r of Algorithm 1
        # "in each training epoch" (the text), not once per loop body
        # (Algorithm 1: decay='iteration'); the first epoch selects with the
        # calibrated initial pi_high (~1% of the pixels in G_h)
        decay='epoch',
        epoch_length=1488,
        # pseudo-labels once buying stops (Algorithm 1, line 12), half an
        # image's labelled pixels; 'always' draws them in every phase
        pseudo_start='spent',
        pseudo_ratio=0.5),
    contrastive=dict(type='MCUContrastiveLoss'),
    dccm=dict(type='DCCM'),
    gamma=0.5,  # Eq. 1
    vis_interval=5000)
