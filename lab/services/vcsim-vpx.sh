#!/usr/bin/env bash
# The vSphere simulator (govmomi's, from Debian) as a vCenter, on a loopback HTTPS port.
# Usage: vcsim-vpx.sh packages|up|down|status
VCSIM_MODE=vpx
source "$(dirname "$0")/../vcsim/vcsim-service.sh"
