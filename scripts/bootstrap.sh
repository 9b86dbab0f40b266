#!/usr/bin/env bash
# Set up everything the demo or the tests need, once: Debian packages (when root),
# then a virtual environment in .venv with the project installed.
# Usage: scripts/bootstrap.sh demo|test   (running it twice does nothing twice)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-test}

# Debian packages: Xvfb and GL for Kivy, Chromium for the browser tests, dbus-daemon for
# the fake BlueZ, zbar for QR decoding, systemd-analyze for the unit files, sqlite3 for
# the backup test, sox (soxi) for the audio probe test.
demo_debs=(python3-venv libgl1 libegl1 libgles2 libmtdev1 xclip)
test_debs=("${demo_debs[@]}" xvfb xauth chromium dbus zbar-tools libzbar0 poppler-utils systemd fonts-dejavu-core sqlite3 sox)
if [ "$what" = test ]; then debs=("${test_debs[@]}"); else debs=("${demo_debs[@]}"); fi
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Some Debian packages are missing. Run this once, then try again:"
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

# Virtual environment: reinstalled only when pyproject.toml changed.
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=.venv/.installed-$what
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  extras=all
  [ "$what" = test ] && extras=all,test
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[$extras]"
  touch "$stamp"
fi
