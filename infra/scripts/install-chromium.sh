#!/usr/bin/env bash
# Debian's chromium for the Playwright browser tests. Playwright's own browser download cannot
# work offline, so the tests launch /usr/bin/chromium through executable_path.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
