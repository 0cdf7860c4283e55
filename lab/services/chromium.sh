#!/usr/bin/env bash
# Debian's headless-capable Chromium, for tests that check a web page (the fleet dashboard).
# No daemon: `up` installs the package and records where the browser is; tests launch it.
# Usage: chromium.sh packages|up|down|status
LAB_SERVICE=chromium
source "$(dirname "$0")/../lib.sh"
dir=$LAB_DIR/chromium
packages() { echo chromium; }

up() {
  lab_need_packages $(packages)
  mkdir -p "$dir"
  lab_json executablePath /usr/bin/chromium version "$(/usr/bin/chromium --version 2>/dev/null | tr -d '\n')" >"$dir/state.json"
  cat "$dir/state.json"
}
down() { rm -f "$dir/state.json"; }
status() { [ -f "$dir/state.json" ] && [ -x /usr/bin/chromium ]; }

case "${1:-}" in
  packages|up|down|status) "$1" ;;
  *) echo "usage: $0 packages|up|down|status" >&2; exit 2 ;;
esac
