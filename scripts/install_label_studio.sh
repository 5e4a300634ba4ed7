#!/usr/bin/env bash
# Create (or update) the virtual environment that holds Label Studio, used by
# the "people in the loop" integration tests and demo
# (mmseg_ada/testing/label_studio.py starts and drives the server).
#
# Label Studio gets an environment of its own: its pins (Django 5.2, numpy,
# pandas, pyarrow, boto3, ...) clash with the project's .venv.  Nothing from
# the project is installed here; the project talks to the server over HTTP.
# About 2-4 min with a warm pip cache, longer from scratch.
#
# Environment knobs:
#   LS_VENV         where the environment goes (default: .venv-labelstudio,
#                   the place mmseg_ada.testing.label_studio looks first after
#                   $MMSEG_ADA_LS_VENV)
#   PYTHON          interpreter used to create it (default: python3; Label
#                   Studio 1.23.2 needs Python >= 3.10)
#   LS_WHEELHOUSE   optional folder of prebuilt wheels (`pip download` of the
#                   pins below) for offline installs; appended to
#                   PIP_FIND_LINKS, whatever that already holds is kept
set -euo pipefail
cd "$(dirname "$0")/.."
LS_VENV=${LS_VENV:-.venv-labelstudio}
PYTHON=${PYTHON:-python3}
STAMP="$LS_VENV/.mmseg_ada_labelstudio_installed"

# The pins.
#  - label-studio==1.23.2: the version whose API, CLI flags and brush RLE
#    export the client and tests were written against.
#  - sentry-sdk<3: label-studio 1.23.2 accepts any sentry-sdk>=2.16, but with
#    3.0 the server dies at start-up (sentry_sdk.init(): "Unknown option
#    'send_default_pii'"), before answering a single request.
REQS=('label-studio==1.23.2' 'sentry-sdk>=2.16,<3')

if [ -f "$STAMP" ] && [ "$STAMP" -nt scripts/install_label_studio.sh ] \
   && [ -x "$LS_VENV/bin/label-studio" ]; then
  echo "[labelstudio] $LS_VENV is up to date ($STAMP)"
  exit 0
fi

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "[labelstudio] ERROR: $PYTHON is $("$PYTHON" -V 2>&1);" \
       "label-studio 1.23.2 needs Python >= 3.10 (set PYTHON=...)" >&2
  exit 1
fi

if [ -n "${LS_WHEELHOUSE:-}" ]; then
  export PIP_FIND_LINKS="${PIP_FIND_LINKS:+$PIP_FIND_LINKS }$LS_WHEELHOUSE"
  echo "[labelstudio] PIP_FIND_LINKS=$PIP_FIND_LINKS"
fi

if [ ! -x "$LS_VENV/bin/python" ]; then
  echo "[labelstudio] creating virtual environment in $LS_VENV ($("$PYTHON" -V 2>&1))"
  "$PYTHON" -m venv "$LS_VENV"
fi
PY="$LS_VENV/bin/python"
PIP="$PY -m pip"
echo "[labelstudio] pip"
$PIP install -q --upgrade "pip>=23"

echo "[labelstudio] ${REQS[*]} (a few minutes)"
$PIP install -q "${REQS[@]}"

echo "[labelstudio] checking the installation"
"$PY" - <<'EOF'
import label_studio
import sentry_sdk
from label_studio_sdk.converter.brush import decode_rle, mask2rle  # noqa: F401
assert label_studio.__version__ == '1.23.2', label_studio.__version__
assert int(sentry_sdk.VERSION.split('.')[0]) < 3, sentry_sdk.VERSION
print('[labelstudio] label-studio', label_studio.__version__,
      'with sentry-sdk', sentry_sdk.VERSION)
EOF
# (not `label-studio --version`: in 1.23.2 it prints the versions and then
# goes on to start a server on 0.0.0.0:8080 with ~/.local/share/label-studio)
[ -x "$LS_VENV/bin/label-studio" ] || {
  echo "[labelstudio] ERROR: no $LS_VENV/bin/label-studio" >&2
  exit 1
}
touch "$STAMP"
echo "[labelstudio] ready: $LS_VENV/bin/label-studio"
