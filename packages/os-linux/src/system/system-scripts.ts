import { raw, sh, type ShellFragment } from '@provkit/core';
import { guestScript } from '../script/guest-script.ts';

/** Makes the SSH host keys that are missing (post-load of an image whose hook did not run); a guest script's part (it needs the prelude). */
export function ensureHostKeysScript(): ShellFragment {
  return raw(String.raw`if [ ! -s /etc/ssh/ssh_host_ed25519_key ]; then
  pk_have ssh-keygen || pk_fail "no ssh-keygen to create host keys"
  mkdir -p /etc/ssh && ssh-keygen -A >/dev/null || pk_fail "ssh-keygen -A failed"
  pk_say created "ssh host keys"
fi
`);
}

/**
 * Prints the name in /etc/hostname (comment lines and white space dropped): nothing when the
 * file is missing or empty, as on an image whose hostname was truncated before capture.
 */
export function readHostnameFileScript(): ShellFragment {
  return raw(`if [ -f /etc/hostname ]; then grep -v '^[[:space:]]*#' /etc/hostname | tr -d '[:space:]'; fi`);
}

/**
 * Names the machine: the running hostname, /etc/hostname and the 127.0.1.1 line of
 * /etc/hosts (Debian's convention, so the name resolves without DNS).
 */
export function setHostnameScript(hostname: string): ShellFragment {
  return guestScript(sh`pk_name=${hostname}
if [ "$(cat /etc/hostname 2>/dev/null)" != "$pk_name" ]; then echo "$pk_name" >/etc/hostname || pk_fail "cannot write /etc/hostname"; pk_say changed /etc/hostname; fi
if [ "$(hostname)" != "$pk_name" ]; then hostname "$pk_name" || pk_fail "cannot set the hostname"; pk_say changed "hostname $pk_name"; fi
if [ -f /etc/hosts ]; then
  if grep -q '^127\.0\.1\.1[[:space:]]' /etc/hosts; then
    if ! grep -Eq "^127\.0\.1\.1[[:space:]]+$pk_name([[:space:]]|$)" /etc/hosts; then
      sed -i "s/^127\.0\.1\.1[[:space:]].*/127.0.1.1 $pk_name/" /etc/hosts || pk_fail "cannot edit /etc/hosts"; pk_say changed /etc/hosts
    fi
  else
    echo "127.0.1.1 $pk_name" >>/etc/hosts || pk_fail "cannot edit /etc/hosts"; pk_say changed /etc/hosts
  fi
fi
`);
}

/** Adds keys to root's authorized_keys, each once. */
export function addRootAuthorizedKeysScript(keys: readonly string[]): ShellFragment {
  return guestScript(sh`mkdir -p /root/.ssh && chmod 700 /root/.ssh || pk_fail "cannot create /root/.ssh"
touch /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys || pk_fail "cannot create /root/.ssh/authorized_keys"
for pk_key in ${keys}; do
  if ! grep -qxF -- "$pk_key" /root/.ssh/authorized_keys; then echo "$pk_key" >>/root/.ssh/authorized_keys || pk_fail "cannot add a key"; pk_say added "key to /root/.ssh/authorized_keys"; fi
done
`);
}

/** Prints the kernel's boot id: it changes on every boot, so a reboot is seen even when fast. */
export function bootIdScript(): ShellFragment {
  return raw('cat /proc/sys/kernel/random/boot_id');
}

/**
 * Powers off or reboots a moment after the command returns, so the SSH command ends cleanly
 * before sshd goes away: `systemctl` under a running systemd, else `poweroff` / `reboot`
 * (busybox, sysvinit). Writes buffers first.
 */
export function powerScript(action: 'poweroff' | 'reboot'): ShellFragment {
  return guestScript(sh`pk_action=${action}
sync
if [ -d /run/systemd/system ] && pk_have systemctl; then pk_cmd="systemctl $pk_action"; else pk_cmd=$pk_action; fi
pk_have "$(echo "$pk_cmd" | cut -d' ' -f1)" || pk_fail "no $pk_cmd on this guest"
(sleep 1; $pk_cmd) </dev/null >/dev/null 2>&1 &
pk_say note "$pk_cmd in 1 s"
`);
}
