# Runtime defaults of the classification path (no segmentation visualiser).
custom_imports = dict(imports=['mmseg_ada'], allow_failed_imports=False)
default_scope = 'mmseg'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
# one model on every rank: rank 0's BN statistics are shared after each
# step (on GPUs too; mmengine's wrapper leaves them per GPU), so the pool is
# scored and the validation shards are evaluated by the same model
model_wrapper_cfg = dict(
    type='ADADistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=False,
    sync_buffers=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='Visualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
