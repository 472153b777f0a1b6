#!/bin/sh
# promtool, to check and unit-test the alert rules (tests/test_monitoring.py), from Debian's prometheus
# package. `make test` runs this; it does nothing when promtool is installed.
set -eu
if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends prometheus
