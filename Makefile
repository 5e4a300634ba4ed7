# mmseg-ada: two commands do all set-up.
#   make demo         create .venv (torch, mmcv with ops, mmseg, the plugin),
#                     make the synthetic GTA5 -> Cityscapes pair (no download)
#                     and run the segmentation methods on it (~10 min)
#   make test         create .venv and run the test suite
#   make test-fast    the suite without the `slow` tests (those that start
#                     processes or Label Studio; see pyproject's markers)
#   make demo-cls     the classification demo (digits -> shifted digits)
#   make demo SEEDS=3 (or demo-cls) the active methods over seeds 0..2:
#                     mean +- sd per round and curves with bands
#   make demo-annotate  people in the loop: one ADeADA and one classification
#                     round labelled through a local Label Studio server
#   make lint         flake8, isort, yapf on every tracked file (pre-commit)
#   make labelstudio  Label Studio 1.23.2 in its own .venv-labelstudio, for
#                     the people-in-the-loop tests and demo (~4 min)
#   make bench        every speed benchmark of benchmarks/, each printing its
#                     table and its figure as the last line (docs/benchmarks.md)
# Set PIP_FIND_LINKS to a folder with a prebuilt mmcv wheel to skip its
# ~11 min source build (CI does, see .ci/run).

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmseg_ada_installed
# the demo configs read their data from here
DEMO_DATA := data/demo
DEMO_WORK := work_dirs/demo
DEMO_CLS_WORK := work_dirs/demo-cls
PYTEST_ARGS ?=
# the demos' active runs over seeds 0..SEEDS-1 (mean +- sd per round)
SEEDS ?= 1

.PHONY: install test test-fast lint demo demo-cls demo-annotate demo-data \
	clean-demo labelstudio bench

install: $(STAMP)

$(STAMP): pyproject.toml scripts/install.sh
	bash scripts/install.sh

# the Label Studio tests need its server (make labelstudio, ~4 min once)
test: install labelstudio
	$(PY) -m pytest tests -q $(PYTEST_ARGS)

# the tier without the `slow` marker (no subprocess: no training run, tool or
# fresh interpreter; no Label Studio server); see docs/development.md
test-fast: install
	$(PY) -m pytest tests -q -m "not slow" $(PYTEST_ARGS)

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

# the segmentation methods on the synthetic GTA5 -> Cityscapes pair:
# source-only and target-only, then 5 rounds x 1% with ADeADA and RAND and
# ADA-MCU buying the same 5% online; one table, work_dirs/demo/curves.png
demo: install
	$(PY) tools/run_demo.py seg --work-dir $(DEMO_WORK) --seeds $(SEEDS)

# image-level active rounds on digits -> shifted digits (classification)
demo-cls: install
	$(PY) tools/run_demo.py cls --work-dir $(DEMO_CLS_WORK) --seeds $(SEEDS)

# Label Studio's own environment (its pins clash with the project's); used by
# mmseg_ada/testing/label_studio.py, which also honours $MMSEG_ADA_LS_VENV
LS_VENV ?= .venv-labelstudio
LS_STAMP := $(LS_VENV)/.mmseg_ada_labelstudio_installed

labelstudio: $(LS_STAMP)

$(LS_STAMP): scripts/install_label_studio.sh
	LS_VENV=$(LS_VENV) bash scripts/install_label_studio.sh

# people in the loop: exported rounds labelled by a scripted stand-in in a
# local Label Studio, imported, resumed; prints the status tables
demo-annotate: install labelstudio
	$(PY) tools/run_demo.py annotate --work-dir work_dirs/demo-annotate

clean-demo:
	rm -rf $(DEMO_DATA) data/demo_cls $(DEMO_WORK) $(DEMO_CLS_WORK) \
	  work_dirs/demo-annotate

# the speed benchmarks of benchmarks/, one after the other, each printing its
# table and its figure as its last line, on one thread (the settings are the
# ones docs/benchmarks.md reports; under 15 min in all on 2 idle cores).
# density.py runs its reduced slice here (~1 min): at its full GTA5 size
# (the script's defaults) scikit-learn's reference alone needs several
# minutes and the torch fits of 1.1M regions many more.
# benchmarks/real_digits.py is left out: it is a training study (accuracy per
# round of every classification strategy, ~25 min), not a speed benchmark.
BENCH_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
BENCH_SELECTION_ARGS ?= --images 16
BENCH_REGIONS_ARGS ?= --num 32 --nproc 2
BENCH_DENSITY_ARGS ?= --slice-only --source 300000 --target 60000 \
  --ref-samples 20000
BENCH_MCU_ARGS ?=
BENCH_QUERY_ARGS ?=
bench: install
	@set -e; start=$$(date +%s); \
	for b in "selection.py $(BENCH_SELECTION_ARGS)" \
	  "regions.py $(BENCH_REGIONS_ARGS)" "density.py $(BENCH_DENSITY_ARGS)" \
	  "mcu.py $(BENCH_MCU_ARGS)" "query.py $(BENCH_QUERY_ARGS)"; do \
	  echo "== benchmarks/$$b (at $$(( $$(date +%s) - start )) s)"; \
	  $(BENCH_ENV) $(PY) benchmarks/$$b; \
	done; echo "== make bench: $$(( $$(date +%s) - start )) s in all"
