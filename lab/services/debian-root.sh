#!/usr/bin/env bash
# A real Debian userland without a VM: a minimal bookworm root built once with debootstrap
# (cached by recipe hash), copied fresh on every `up`, and running its own sshd chrooted
# inside a network namespace of its own (reached over a veth pair on a /30) and a PID and
# mount namespace of its own. Commands run there against real useradd, chpasswd, nft and
# iptables; firewall rules touch only that namespace, signals only its processes, and the
# /proc, /sys and /dev mounts live in the private mount namespace (nothing to leak on the host);
# its own UTS namespace lets tests set the hostname without touching this machine's.
# Root's authorized key is the lab sshd's client key.
# Usage: debian-root.sh packages|up|down|status|reset
LAB_SERVICE=debian-root
source "$(dirname "$0")/../lib.sh"
dir=$LAB_DIR/debian-root
cache=$LAB_CACHE/debian-root
root=$dir/root
netns=provkit-debroot
veth_host=pkdr-host
veth_guest=pkdr-guest
# A /30 that exists only on the veth pair created here (host side .1, guest side .2).
subnet_prefix=10.213.77
host_ip=$subnet_prefix.1
guest_ip=$subnet_prefix.2
suite=bookworm
include=openssh-server,sudo,nftables,iptables,cron,iproute2,passwd,procps,login,systemd,systemd-sysv,dbus
packages() { echo debootstrap iproute2 openssh-client util-linux tar; }

# The Debian mirror this machine already uses (deb822 or one-line sources), else deb.debian.org.
mirror() {
  local found
  found=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v suite="$suite" '
    /^[[:space:]]*deb[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { if ($(i + 1) == suite) { print $i; exit } } }
    /^URIs:/ { uris = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite && uris !~ /security/) { print uris; exit } }
    /^[[:space:]]*$/ { uris = "" }')
  echo "${found:-http://deb.debian.org/debian}"
}

recipe() { printf 'suite=%s\nvariant=minbase\ninclude=%s\nmirror=%s\n' "$suite" "$include" "$(mirror)"; }

# Builds the cached root once per recipe; the cache is a directory renamed into place only
# after a complete build, so an interrupted build never passes for a good one.
build_cache() {
  local hash=$1 out=$cache/root-$1 tmp
  [ -d "$out" ] && return 0
  mkdir -p "$cache"
  tmp=$cache/build-$hash.$$
  rm -rf --one-file-system "$tmp"
  lab_log "debootstrap $suite (recipe $hash) from $(mirror)"
  debootstrap --variant=minbase --include="$include" "$suite" "$tmp" "$(mirror)" >"$cache/build-$hash.log" 2>&1 ||
    lab_die "debootstrap failed (log: $cache/build-$hash.log)"
  rm -f "$tmp"/var/cache/apt/archives/*.deb
  mv "$tmp" "$out"
}

in_root() { chroot "$root" "$@"; }

# Per-start changes to the fresh copy: new host keys, root's key, sshd settings, and
# guards so that power commands cannot reach this machine from inside the root.
prepare_root() {
  local key=$1
  rm -f "$root"/etc/ssh/ssh_host_*
  in_root ssh-keygen -A >/dev/null
  install -d -m 700 "$root/root/.ssh"
  install -m 600 "$key" "$root/root/.ssh/authorized_keys"
  install -d -m 755 "$root/run/sshd"
  cat >"$root/etc/ssh/sshd_config.d/provkit-lab.conf" <<CONF
# provkit lab: the root has no init and no PAM session; sshd runs as PID 1 of its namespace.
ListenAddress $guest_ip
PermitRootLogin prohibit-password
UsePAM no
MaxSessions 64
MaxStartups 100:30:200
LogLevel VERBOSE
CONF
  echo debian-root >"$root/etc/hostname"
  printf '127.0.0.1 localhost\n%s debian-root\n' "$guest_ip" >"$root/etc/hosts"
  local tool
  for tool in poweroff reboot halt shutdown; do
    printf '#!/bin/sh\necho "%s: the provkit lab root has no machine to power off" >&2\nexit 1\n' "$tool" >"$root/usr/local/sbin/$tool"
    chmod 755 "$root/usr/local/sbin/$tool"
  done
}

create_netns() {
  ip netns del "$netns" 2>/dev/null || true
  ip link del "$veth_host" 2>/dev/null || true
  ip netns add "$netns"
  ip link add "$veth_host" type veth peer name "$veth_guest"
  ip link set "$veth_guest" netns "$netns"
  ip addr add "$host_ip/30" dev "$veth_host"
  ip link set "$veth_host" up
  ip -n "$netns" addr add "$guest_ip/30" dev "$veth_guest"
  ip -n "$netns" link set "$veth_guest" up
  ip -n "$netns" link set lo up
}

start_sshd() {
  # unshare --kill-child: when the recorded process dies, the namespace's PID 1 (sshd) dies,
  # taking every process and mount of the namespaces with it.
  (
    exec setsid ip netns exec "$netns" unshare --pid --fork --kill-child --mount --uts --ipc --propagation private \
    sh -c 'set -e; r=$1
      mount -t proc proc "$r/proc"
      mount -t sysfs sysfs "$r/sys"
      mount --rbind /dev "$r/dev"
      hostname "$(cat "$r/etc/hostname")"
      exec chroot "$r" /usr/sbin/sshd -D -e' sh "$root"
  ) >"$dir/sshd.log" 2>&1 </dev/null &
  echo $! >"$dir/sshd.pid"
}

up() {
  if status; then cat "$dir/state.json"; return; fi
  lab_need_packages $(packages)
  lab_require sshd
  local key=$LAB_DIR/sshd/client_ed25519.pub hash
  [ -f "$key" ] || lab_die "no lab sshd client key at $key"
  hash=$(recipe | sha256sum | cut -c1-16)
  build_cache "$hash"
  down
  mkdir -p "$dir"
  chmod 700 "$dir"
  cp -a "$cache/root-$hash" "$root"
  prepare_root "$key"
  create_netns
  start_sshd
  lab_wait_port "$guest_ip" 22 20 "the debian root's sshd"
  printf '%s %s\n' "$guest_ip" "$(cut -d' ' -f1,2 "$root/etc/ssh/ssh_host_ed25519_key.pub")" >"$dir/known_hosts"
  local fingerprint; fingerprint=$(ssh-keygen -l -E sha256 -f "$root/etc/ssh/ssh_host_ed25519_key.pub" | awk '{print $2}')
  lab_json host "$guest_ip" port 22 username root privateKeyPath "$LAB_DIR/sshd/client_ed25519" \
    knownHostsPath "$dir/known_hosts" hostKeyFingerprint "$fingerprint" rootPath "$root" \
    namespace "$netns" hostAddress "$host_ip" logPath "$dir/sshd.log" pidPath "$dir/sshd.pid" \
    recipeHash "$hash" suite "$suite" >"$dir/state.json"
  cat "$dir/state.json"
}

down() {
  # unshare ignores TERM while it waits for its child, so stop the namespace's PID 1 (sshd)
  # first; the namespace and unshare end with it.
  if lab_pid_alive "$dir/sshd.pid"; then
    local child
    for child in $(ps -o pid= --ppid "$(cat "$dir/sshd.pid")"); do kill "$child" 2>/dev/null || true; done
  fi
  lab_stop_pid "$dir/sshd.pid"
  ip netns del "$netns" 2>/dev/null || true
  ip link del "$veth_host" 2>/dev/null || true
  if [ -d "$root" ]; then
    # The mounts live in the namespace that just died; refuse to delete through a mount anyway.
    if findmnt -rno TARGET | grep -q "^$root/"; then lab_die "mounts remain under $root; not deleting it"; fi
    rm -rf --one-file-system "$root"
  fi
  rm -f "$dir/state.json" "$dir/known_hosts"
}

status() { [ -f "$dir/state.json" ] && lab_pid_alive "$dir/sshd.pid"; }

# A fresh copy of the root with new host keys, for tests that need an untouched guest.
reset() { down; up; }

case "${1:-}" in
  packages|up|down|status|reset) "$1" ;;
  *) echo "usage: $0 packages|up|down|status|reset" >&2; exit 2 ;;
esac
