# mmseg-ada: two commands do all set-up.
#   make demo   - create .venv (torch, mmcv with ops, mmseg, the plugin) and run
#                 the built-in synthetic GTA5 -> Cityscapes demo (no download)
#   make test   - create .venv and run the test suite
# Set PIP_FIND_LINKS to a folder with a prebuilt mmcv wheel to skip its
# ~11 min source build (CI does, see .ci/run).

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmseg_ada_installed
DEMO_DATA := data/demo  # the demo configs read from here
DEMO_WORK ?= work_dirs/demo
PYTEST_ARGS ?=

.PHONY: install test demo demo-data clean-demo

install: $(STAMP)

$(STAMP): pyproject.toml scripts/install.sh
	bash scripts/install.sh

test: install
	$(PY) -m pytest tests -q $(PYTEST_ARGS)

demo-data: install
	$(PY) tools/make_demo_data.py $(DEMO_DATA)
	$(PY) tools/dataset_converters/gta5.py $(DEMO_DATA)/gta5 --nproc 2

demo: demo-data
	$(PY) tools/train.py configs/demo/deeplabv3plus_r18-d8_4xb4-600_demo-gta5-cityscapes-128x256.py \
	    --work-dir $(DEMO_WORK)
	$(PY) tools/test.py configs/demo/deeplabv3plus_r18-d8_4xb4-600_demo-gta5-cityscapes-128x256.py \
	    $(DEMO_WORK)/iter_600.pth --work-dir $(DEMO_WORK)/test

clean-demo:
	rm -rf $(DEMO_DATA) $(DEMO_WORK)
