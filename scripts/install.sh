#!/usr/bin/env bash
# Create (or update) the project's virtual environment in ./.venv.
#
# The order matters: MMCV 2.1 must be built against the installed torch
# without build isolation, so torch and the build tools come first.  A
# prebuilt mmcv wheel is used when pip can find one (PIP_FIND_LINKS); without
# it mmcv is compiled from source with its CPU/CUDA ops (~11 min on 2 cores).
#
# Environment knobs:
#   VENV        where the environment goes (default: .venv)
#   PYTHON      interpreter used to create it (default: python3)
#   TORCH_SPEC  torch requirement (default: torch==2.13.0); users with CUDA may
#               pre-install their own torch in the venv and set TORCH_SPEC=skip
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
STAMP="$VENV/.mmseg_ada_installed"

if [ -f "$STAMP" ] && [ "$STAMP" -nt pyproject.toml ] && [ "$STAMP" -nt scripts/install.sh ]; then
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "[install] creating virtual environment in $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP="$PY -m pip"
$PIP install -q --upgrade "pip>=23"

if [ "$TORCH_SPEC" != "skip" ]; then
  echo "[install] $TORCH_SPEC"
  $PIP install -q "$TORCH_SPEC"
fi

echo "[install] build tools for mmcv"
$PIP install -q "setuptools>=69,<81" wheel ninja psutil packaging

if ! "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
  echo "[install] mmcv 2.1.0 with ops (a prebuilt wheel if pip finds one, else a ~11 min source build)"
  MMCV_WITH_OPS=1 FORCE_CUDA=${FORCE_CUDA:-0} MAX_JOBS=${MAX_JOBS:-2} \
    $PIP install --no-build-isolation "mmcv==2.1.0"
fi
"$PY" -c "import mmcv.ops" || { echo "[install] ERROR: mmcv.ops does not import" >&2; exit 1; }

echo "[install] mmengine, mmsegmentation and the plugin"
$PIP install -q --no-build-isolation -e ".[tests]"
"$PY" -c "import mmseg_ada; print('[install] mmseg_ada', mmseg_ada.__version__, 'ready')"
touch "$STAMP"
