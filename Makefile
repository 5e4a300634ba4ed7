# mmseg-ada: two commands do all set-up.
#   make demo         create .venv (torch, mmcv with ops, mmseg, the plugin),
#                     make the synthetic GTA5 -> Cityscapes pair (no download),
#                     train a tiny source-only DeepLabV3+ and test it
#   make test         create .venv and run the test suite
#   make demo-active  3 active rounds per strategy on the same pair
#   make lint         flake8, isort, yapf on every tracked file (pre-commit)
# Set PIP_FIND_LINKS to a folder with a prebuilt mmcv wheel to skip its
# ~11 min source build (CI does, see .ci/run).

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmseg_ada_installed
# the demo configs read their data from here
DEMO_DATA := data/demo
DEMO_WORK := work_dirs/demo
DEMO_CFG := configs/demo/deeplabv3plus_r18-d8_4xb4-600_demo-gta5-cityscapes-128x256.py
DEMO_ACTIVE_WORK := work_dirs/demo-active
DEMO_STRATEGIES ?= rand ent adeada
PYTEST_ARGS ?=

.PHONY: install test lint demo demo-data demo-active clean-demo

install: $(STAMP)

$(STAMP): pyproject.toml scripts/install.sh
	bash scripts/install.sh

test: install
	$(PY) -m pytest tests -q $(PYTEST_ARGS)

# the checks of .pre-commit-config.yaml (settings in setup.cfg); the tools
# are installed into $(VENV) when missing, pinned as pyproject's `lint` extra
LINT_TOOLS := flake8 isort yapf pre-commit
LINT_REQS := 'flake8>=7,<8' 'isort>=5.13' 'yapf==0.43.0' 'pre-commit>=3.5'
lint: install
	@missing=; for t in $(LINT_TOOLS); do [ -x $(VENV)/bin/$$t ] || missing=1; done; \
	if [ -n "$$missing" ]; then $(PY) -m pip install -q $(LINT_REQS); fi
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

demo-data: install
	$(PY) tools/make_demo_data.py $(DEMO_DATA)
	$(PY) tools/dataset_converters/gta5.py $(DEMO_DATA)/gta5 --nproc 2

# source-only training on the synthetic source, then per-class IoU on the
# synthetic target val split
demo: demo-data
	$(PY) tools/train.py $(DEMO_CFG) --work-dir $(DEMO_WORK)
	$(PY) tools/test.py $(DEMO_CFG) $(DEMO_WORK)/iter_600.pth --work-dir $(DEMO_WORK)/test

$(DEMO_WORK)/iter_600.pth:
	$(MAKE) demo

# 3 active rounds x 1% of the target pixels per strategy, starting from the
# source-only demo model; prints mIoU per round and draws the curves
demo-active: demo-data $(DEMO_WORK)/iter_600.pth
	$(PY) tools/precompute_regions.py $(DEMO_DATA)/cityscapes/leftImg8bit/train \
	    --suffix _leftImg8bit.png --out $(DEMO_DATA)/regions/cityscapes_train_slic --nproc 2
	$(PY) tools/precompute_regions.py $(DEMO_DATA)/gta5/images \
	    --out $(DEMO_DATA)/regions/gta5_slic --nproc 2
	for s in $(DEMO_STRATEGIES); do \
	  rm -rf $(DEMO_ACTIVE_WORK)/$$s; \
	  $(PY) tools/train.py configs/demo/active/deeplabv3plus_r18-d8_4xb4-3x100_demo-active-$$s.py \
	      --work-dir $(DEMO_ACTIVE_WORK)/$$s || exit 1; \
	done
	$(PY) tools/analysis/plot_active_curves.py \
	    $(foreach s,$(DEMO_STRATEGIES),$(s)=$(DEMO_ACTIVE_WORK)/$(s)) \
	    --out $(DEMO_ACTIVE_WORK)/curves.png --title 'synthetic GTA5 -> Cityscapes'

clean-demo:
	rm -rf $(DEMO_DATA) $(DEMO_WORK) $(DEMO_ACTIVE_WORK)
