#!/usr/bin/env bash
# libvirtd (QEMU driver) + virtlogd on this machine, reached by the KVM provisioner through the
# lab sshd as a remote host would be. Domains run under TCG (type='qemu'): /dev/kvm hangs guests
# here. A libvirtd that is already running is reused and never stopped by `down`.
# `restart [SECONDS]` stops libvirtd (SIGTERM, bounded, then SIGKILL), keeps it down SECONDS
# (default 0: a daemon restart under load is not instant) and starts it again; running guests
# keep running (their QEMU processes are not libvirtd's) and libvirtd reattaches to them. For
# fault tests: run it only while holding the lab lock, since other tests share this daemon.
# Usage: libvirt.sh packages|up|down|status|restart [SECONDS]
LAB_SERVICE=libvirt
source "$(dirname "$0")/../lib.sh"
dir=$LAB_DIR/libvirt
uri=qemu:///system
# Domains the lab's tests define carry this prefix; `down` removes leftovers with it.
domain_prefix=pklab-
packages() { echo libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils procps; }

prepare_host() {
  getent group kvm >/dev/null || groupadd --system kvm
  getent group libvirt >/dev/null || groupadd --system libvirt
  getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
  id libvirt-qemu >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /var/lib/libvirt \
    --shell /usr/sbin/nologin --gid libvirt-qemu --groups kvm libvirt-qemu
  mkdir -p /var/run/libvirt /var/log/libvirt /var/lib/libvirt/images /etc/libvirt
  local conf=/etc/libvirt/qemu.conf
  if ! grep -q '^# provkit-lab' "$conf" 2>/dev/null; then
    [ -f "$conf" ] && cp "$conf" "$conf.provkit-orig"
    cat >"$conf" <<'CONF'
# provkit-lab: no cgroups and no security driver (containers here allow neither); QEMU runs as root.
security_driver = "none"
cgroup_controllers = [ ]
user = "root"
group = "root"
CONF
  fi
  # Least privilege for the host's SSH account (see docs): the read-write socket belongs to
  # group libvirt, mode 0770, and membership of that group is the authorization (no polkit here).
  local daemon_conf=/etc/libvirt/libvirtd.conf
  if ! grep -q '^# provkit-lab' "$daemon_conf" 2>/dev/null; then
    [ -f "$daemon_conf" ] && cp "$daemon_conf" "$daemon_conf.provkit-orig"
    cat >"$daemon_conf" <<'CONF'
# provkit-lab: group libvirt may manage domains through the socket; others may not.
unix_sock_group = "libvirt"
unix_sock_ro_perms = "0777"
unix_sock_rw_perms = "0770"
auth_unix_ro = "none"
auth_unix_rw = "none"
CONF
  fi
}

# Whether an account of group libvirt (the lab sshd's plain account) can manage domains: a
# libvirtd started before the lab wrote libvirtd.conf keeps root-only access until restarted.
group_access() {
  local user=provkit-host
  id "$user" >/dev/null 2>&1 || { echo no; return; }
  if timeout 10 runuser -u "$user" -- virsh -c "$uri" version >/dev/null 2>&1; then echo yes; else echo no; fi
}

virsh_ok() { timeout 10 virsh -c "$uri" version >/dev/null 2>&1; }

up() {
  if status; then cat "$dir/state.json"; return; fi
  lab_need_packages $(packages)
  mkdir -p "$dir"
  local started=no
  if pgrep -x libvirtd >/dev/null && virsh_ok; then
    lab_log "reusing the running libvirtd"
  else
    prepare_host
    pgrep -x virtlogd >/dev/null || virtlogd -d
    if ! pgrep -x libvirtd >/dev/null; then
      libvirtd -d
      started=yes
    fi
    local delay=0.05 start=$SECONDS
    until virsh_ok; do
      (( SECONDS - start >= 30 )) && lab_die "libvirtd did not answer on $uri within 30s (see /var/log/libvirt/libvirtd.log)"
      sleep "$delay"; delay=$(awk -v d="$delay" 'BEGIN { d *= 2; if (d > 1) d = 1; print d }')
    done
  fi
  echo "$started" >"$dir/started-by-lab"
  lab_json uri "$uri" domainType qemu domainPrefix "$domain_prefix" imagesDir /var/lib/libvirt/images \
    libvirtVersion "$(virsh -c "$uri" version --daemon 2>/dev/null | awk '/daemon/ {print $NF}')" \
    startedByLab "$started" libvirtGroupAccess "$(group_access)" >"$dir/state.json"
  cat "$dir/state.json"
}

down() {
  if virsh_ok; then
    local name
    for name in $(virsh -c "$uri" list --all --name | grep "^$domain_prefix" || true); do
      virsh -c "$uri" destroy "$name" >/dev/null 2>&1 || true
      virsh -c "$uri" undefine "$name" --nvram >/dev/null 2>&1 || virsh -c "$uri" undefine "$name" >/dev/null 2>&1 || true
    done
  fi
  if [ "$(cat "$dir/started-by-lab" 2>/dev/null)" = yes ]; then
    # libvirtd -d records its pid here; stop exactly that process.
    lab_stop_pid /run/libvirtd.pid 10
  fi
  if grep -q '^# provkit-lab' /etc/libvirt/qemu.conf 2>/dev/null; then
    # Put back the machine's own qemu.conf (or none), as it was before the lab wrote its own.
    if [ -f /etc/libvirt/qemu.conf.provkit-orig ]; then mv /etc/libvirt/qemu.conf.provkit-orig /etc/libvirt/qemu.conf; else rm -f /etc/libvirt/qemu.conf; fi
  fi
  if grep -q '^# provkit-lab' /etc/libvirt/libvirtd.conf 2>/dev/null; then
    if [ -f /etc/libvirt/libvirtd.conf.provkit-orig ]; then mv /etc/libvirt/libvirtd.conf.provkit-orig /etc/libvirt/libvirtd.conf; else rm -f /etc/libvirt/libvirtd.conf; fi
  fi
  rm -f "$dir/state.json" "$dir/started-by-lab"
}

status() { [ -f "$dir/state.json" ] && pgrep -x libvirtd >/dev/null && virsh_ok; }

restart() {
  [ -f "$dir/state.json" ] || lab_die "libvirt is not up; run \`npm run lab -- up libvirt\`"
  local pid
  pid=$(pgrep -x libvirtd | head -n 1 || true)
  if [ -n "$pid" ]; then
    echo "$pid" >"$dir/restart.pid"
    lab_stop_pid "$dir/restart.pid" 10
  fi
  rm -f /run/libvirtd.pid
  sleep "${1:-0}"
  libvirtd -d
  local delay=0.05 start=$SECONDS
  until virsh_ok; do
    (( SECONDS - start >= 30 )) && lab_die "libvirtd did not answer on $uri within 30s after restart"
    sleep "$delay"; delay=$(awk -v d="$delay" 'BEGIN { d *= 2; if (d > 1) d = 1; print d }')
  done
  # It was started here now: `down` stops it.
  echo yes >"$dir/started-by-lab"
  cat "$dir/state.json"
}

case "${1:-}" in
  packages|up|down|status) "$1" ;;
  restart) restart "${2:-0}" ;;
  *) echo "usage: $0 packages|up|down|status|restart [SECONDS]" >&2; exit 2 ;;
esac
