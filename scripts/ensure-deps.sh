#!/bin/sh
# Installs the npm dependencies when they are missing or older than the lock file, so that
# `npm test` works on a fresh clone. npm itself may be the system's (Node 20); everything the
# scripts run afterwards uses the Node 24 from the pinned `node` devDependency.
set -eu
cd "$(dirname "$0")/.."
marker=node_modules/.package-lock.json
if [ ! -f "$marker" ] || [ package-lock.json -nt "$marker" ]; then
  # `npm install` honours the lock file's versions; `npm ci` is not used because this
  # registry omits other platforms' optional packages from the lock, which `npm ci` rejects.
  npm install --no-audit --no-fund
fi
# Debian packages the unit tests use directly: busybox (the first-boot hook is parsed by
# busybox ash, the lab guest's shell) and procps (pgrep/pkill in lab tests and scripts).
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  bash -c 'source lab/lib.sh && lab_need_packages busybox-static procps'
fi
