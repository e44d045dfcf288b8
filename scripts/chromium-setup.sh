#!/bin/sh
# Installs Debian's Chromium for the browser tests (test/node/status-page.browser.test.ts),
# once: a machine that already has /usr/bin/chromium returns at once. Needs root (or sudo)
# and Debian's package mirror; about a minute on a fresh machine.
set -eu
if [ -x /usr/bin/chromium ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "chromium-setup: /usr/bin/chromium is missing and this user cannot install packages (not root, no sudo)" >&2
    exit 1
  fi
fi
echo "chromium-setup: installing Debian's chromium (apt-get)…" >&2
export DEBIAN_FRONTEND=noninteractive
# Another apt run (a parallel test worker, unattended upgrades) holds the lock: wait for it.
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends chromium >&2
test -x /usr/bin/chromium
/usr/bin/chromium --version >&2
