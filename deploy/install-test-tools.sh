#!/bin/sh
# What the tests drive besides Python, from Debian's packages: Chromium and its driver (the admin's
# browser tests, tests/browser) and promtool (the alert rules, tests/test_monitoring.py).
# `make test` runs this; it installs only what is missing.
set -eu
# command:package, one per tool.
TOOLS="chromium:chromium chromedriver:chromium-driver promtool:prometheus"
missing=""
for tool in $TOOLS; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086 (one word per package)
$SUDO apt-get install -y -q --no-install-recommends $missing
