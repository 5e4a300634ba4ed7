# Cityscapes as the target domain of SYNTHIA -> Cityscapes: the same data as
# cityscapes_target.py, scored with SynthiaIoUMetric (mIoU over the 16
# SYNTHIA classes, mIoU13 = mIoU* over the 13-class subset).
_base_ = ['./cityscapes_target.py']
val_evaluator = dict(_delete_=True, type='SynthiaIoUMetric')
test_evaluator = val_evaluator
