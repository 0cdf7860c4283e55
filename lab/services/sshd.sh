#!/usr/bin/env bash
# OpenSSH sshd on a free loopback port, with generated host keys and one authorized client
# key. It plays every "remote host" of the lab: the KVM host's SSH and the SSH runner's peer.
# Usage: sshd.sh packages|up|down|status
LAB_SERVICE=sshd
source "$(dirname "$0")/../lib.sh"
dir=$LAB_DIR/sshd
packages() { echo openssh-server openssh-client procps; }

up() {
  if status; then cat "$dir/state.json"; return; fi
  lab_need_packages $(packages)
  mkdir -p "$dir" /run/sshd
  chmod 700 "$dir"
  [ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C provkit-lab-host -f "$dir/host_ed25519"
  [ -f "$dir/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C provkit-lab-client -f "$dir/client_ed25519"
  cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
  local port; port=$(lab_free_port)
  cat >"$dir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
# Enough sessions per connection for the runner's channel bound (8 by default) plus tests that raise it.
MaxSessions 64
MaxStartups 100:30:200
LogLevel VERBOSE
Subsystem sftp internal-sftp
AcceptEnv LANG LC_*
CONF
  : >"$dir/sshd.log"
  /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
  lab_wait_port 127.0.0.1 "$port" 20 sshd
  printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >"$dir/known_hosts"
  local fingerprint; fingerprint=$(ssh-keygen -l -E sha256 -f "$dir/host_ed25519.pub" | awk '{print $2}')
  lab_json host 127.0.0.1 port "$port" username root \
    privateKeyPath "$dir/client_ed25519" knownHostsPath "$dir/known_hosts" \
    hostKeyFingerprint "$fingerprint" logPath "$dir/sshd.log" pidPath "$dir/sshd.pid" >"$dir/state.json"
  cat "$dir/state.json"
}

down() { lab_stop_pid "$dir/sshd.pid"; rm -f "$dir/state.json"; }
status() { [ -f "$dir/state.json" ] && lab_pid_alive "$dir/sshd.pid"; }

case "${1:-}" in
  packages|up|down|status) "$1" ;;
  *) echo "usage: $0 packages|up|down|status" >&2; exit 2 ;;
esac
