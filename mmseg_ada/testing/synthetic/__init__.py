"""A small synthetic source/target pair in the real on-disk formats.

The demo (``make demo``, ``make demo-active``) and many tests need a
source/target domain-adaptation pair that is tiny, deterministic, generated
in seconds and stored exactly like the real datasets, so that the real
converters and mmseg's real dataset classes run on it:

* **source**, GTA5 layout (default)::

      ROOT/gta5/images/00001.png      RGB
      ROOT/gta5/labels/00001.png      'P' mode, values = Cityscapes label ids,
                                      Cityscapes palette attached

  No ``*_labelTrainIds.png`` is written: ``tools/dataset_converters/gta5.py``
  makes them, as for the real dataset.  With ``source_format='synthia'``::

      ROOT/synthia/RGB/0000000.png        RGB
      ROOT/synthia/GT/LABELS/0000000.png  uint16, 3 channels: R = SYNTHIA
                                          class id, G = instance id, B = 0

* **target**, Cityscapes layout (read by mmseg's ``CityscapesDataset``)::

      ROOT/cityscapes/leftImg8bit/{train,val}/<city>/
          <city>_<seq:06d>_000019_leftImg8bit.png
      ROOT/cityscapes/gtFine/{train,val}/<city>/
          <city>_<seq:06d>_000019_gtFine_labelIds.png       uint8 label ids
          <city>_<seq:06d>_000019_gtFine_labelTrainIds.png  uint8 trainIds

* ``ROOT/preview.png`` (a grid of source and target images with colourised
  labels) and ``ROOT/synthetic_meta.json`` (the parameters; written last).

Scenes are street-like (sky, buildings and trees above the horizon, road
and sidewalks below it, cars, persons, poles carrying traffic signs or
lights) over ten of the 19 Cityscapes classes (:data:`SYNTHETIC_CLASSES`).
The domains differ the way GTA5 and Cityscapes do, strongly enough that a
source-only model is clearly worse on the target than a target-trained one,
but not so much that nothing transfers:

* **Appearance.**  The source is sunny and saturated with flat cartoon
  shading; the target is overcast and muted (lower contrast, white-balance
  drift, slight blur, sensor noise) with textured road, sidewalk, facades,
  foliage and clouds.  Some classes keep their colour family (sky stays
  blue, vegetation green, road dark grey); others change: facades are brick
  in the source but brick, grey, blue-grey or beige in the target, cars
  blue vs. red, silver, black or blue, persons magenta vs. dark clothes,
  poles yellow vs. grey, traffic signs red vs. yellow.
* **Content.**  Target cars are smaller and more numerous; *person* is rare
  in the source (about 1 image in 10) and in nearly every target image, the
  kind of class that density-aware selection should find; the target has
  more poles, and an ego-vehicle hood (ignored, label id 1) at the bottom of
  every image.

With the defaults, the demo DeepLabV3+ (ResNet-18, 16 base channels,
``configs/demo``, 600 iterations) reaches about 25 mIoU on the target val
split when trained on the source and about 65 when trained on the labelled
target train split (person: 0 vs. 64 IoU).

The package has one module per concept: :mod:`.classes` (what is drawn
and its label ids), :mod:`.render` (the scenes, as arrays),
:mod:`.formats` (the datasets' on-disk layouts) and :mod:`.build`
(:func:`make_synthetic_da`: building once per parameters).  Label ids are
mapped to trainIds with :data:`mmseg_ada.datasets.label_maps.
CITYSCAPES_ID_TO_TRAINID`, the table the converters use.

Every image is drawn from its own random generator seeded by
``(seed, domain, split, index)``, so the output is byte-identical for equal
parameters and the first images do not change when counts grow.
"""
from .build import GENERATOR_VERSION, make_synthetic_da
from .classes import (CITYSCAPES_ID_PALETTE, SYNTHETIC_CLASSES,
                      SYNTHIA_ID_OF_CITYSCAPES_ID)
from .formats import TARGET_TRAIN_CITIES, TARGET_VAL_CITIES
from .render import render_scene

__all__ = [
    'SYNTHETIC_CLASSES', 'CITYSCAPES_ID_PALETTE',
    'SYNTHIA_ID_OF_CITYSCAPES_ID', 'TARGET_TRAIN_CITIES', 'TARGET_VAL_CITIES',
    'GENERATOR_VERSION', 'render_scene', 'make_synthetic_da'
]
