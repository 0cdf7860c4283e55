#!/usr/bin/env bash
# The vSphere simulator (govmomi's, from Debian) as a standalone ESXi, on a loopback HTTPS port.
# Usage: vcsim-esx.sh packages|up|down|status
VCSIM_MODE=esx
source "$(dirname "$0")/../vcsim/vcsim-service.sh"
