# Region-level AADA (ADeADA supplement B, Figure 3): mean pixel entropy x
# (1 - d) / d, d = the region's mean P(source) of a domain discriminator.
# The model must serve 'domain': the top-level config keeps the AdaptSegNet
# warm-up's discriminator, frozen (`model.discriminator`, its weights come
# with `load_from`).  See configs/active_baselines/README.md.
strategy = dict(type='RegionAADA', seed=0, score='entropy_weight')
