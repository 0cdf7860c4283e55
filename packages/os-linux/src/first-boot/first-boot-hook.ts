import { raw, type ShellFragment } from '@provkit/core';

/** Where the first-boot hook lives on a generalized guest. */
export const FIRST_BOOT_HOOK_PATH = '/usr/local/sbin/provkit-first-boot';

/** Where the hook records what it generated (read by tests and by curious administrators). */
export const FIRST_BOOT_LOG_PATH = '/var/log/provkit-first-boot.log';

/**
 * Left by `ssh-hostkeys` under end state `on`, which replaces the host keys instead of
 * removing them: the hook then replaces those interim keys too, so every clone gets its own.
 */
export const HOST_KEYS_MARKER = '/etc/ssh/provkit-replace-host-keys';

/**
 * The hook itself: at boot, before sshd, a generalized image gets SSH host keys and (outside
 * systemd, which regenerates an empty machine-id on its own) a machine-id of its own.
 * It may run before the root is remounted read-write on busybox and sysvinit guests.
 */
export const FIRST_BOOT_HOOK = String.raw`#!/bin/sh
# Installed by provkit when it generalized this image: gives each machine booted from it
# its own SSH host keys and machine-id, before sshd starts.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
log=${FIRST_BOOT_LOG_PATH}
if ! touch /etc/.provkit-first-boot 2>/dev/null; then mount -o remount,rw / 2>/dev/null; fi
rm -f /etc/.provkit-first-boot
stamp() { date -u +%Y-%m-%dT%H:%M:%SZ; }
if [ -e ${HOST_KEYS_MARKER} ] && command -v ssh-keygen >/dev/null 2>&1; then
  rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub ${HOST_KEYS_MARKER}
fi
if [ ! -s /etc/ssh/ssh_host_ed25519_key ] && command -v ssh-keygen >/dev/null 2>&1; then
  mkdir -p /etc/ssh
  ssh-keygen -A >/dev/null 2>&1 && echo "$(stamp) generated ssh host keys" >>"$log"
fi
if [ -e /etc/machine-id ] && [ ! -s /etc/machine-id ] && [ ! -d /run/systemd/system ]; then
  id=$(cat /proc/sys/kernel/random/uuid 2>/dev/null | tr -d '-')
  [ -n "$id" ] || id=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  echo "$id" >/etc/machine-id && echo "$(stamp) generated machine-id" >>"$log"
fi
exit 0
`;

/** The systemd unit that runs the hook before the SSH server. */
export const FIRST_BOOT_UNIT = `[Unit]
Description=provkit first boot: SSH host keys and machine-id of a generalized image
Before=ssh.service sshd.service

[Service]
Type=oneshot
ExecStart=${FIRST_BOOT_HOOK_PATH}
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
`;

/**
 * Shell that installs the hook and wires it into the guest's init: a systemd unit (enabled by
 * symlink, so it works without a running systemd), or an `/etc/inittab` sysinit entry for
 * busybox init (before its rc script, which starts sshd) and sysvinit (after rcS, before the
 * runlevel that starts sshd). Reports `note` when the guest has no init it recognizes.
 */
export function installFirstBootHookScript(): ShellFragment {
  return raw(String.raw`pk_hook=${FIRST_BOOT_HOOK_PATH}
mkdir -p "$(dirname "$pk_hook")" || pk_fail "cannot create $(dirname "$pk_hook")"
cat >"$pk_hook.tmp" <<'PROVKIT_HOOK_EOF' || pk_fail "cannot write $pk_hook"
${FIRST_BOOT_HOOK}PROVKIT_HOOK_EOF
chmod 755 "$pk_hook.tmp" || pk_fail "cannot write $pk_hook"
if cmp -s "$pk_hook.tmp" "$pk_hook" && [ -x "$pk_hook" ]; then rm -f "$pk_hook.tmp"; pk_say kept "$pk_hook"
else mv -f "$pk_hook.tmp" "$pk_hook" || pk_fail "cannot install $pk_hook"; pk_say installed "$pk_hook"; fi
pk_init=$(basename "$(readlink -f /sbin/init 2>/dev/null || echo none)")
if [ -d /run/systemd/system ] || [ "$pk_init" = systemd ]; then
  pk_unit=/etc/systemd/system/provkit-first-boot.service
  mkdir -p /etc/systemd/system/multi-user.target.wants
  pk_link=/etc/systemd/system/multi-user.target.wants/provkit-first-boot.service
  cat >"$pk_unit.tmp" <<'PROVKIT_UNIT_EOF' || pk_fail "cannot write $pk_unit"
${FIRST_BOOT_UNIT}PROVKIT_UNIT_EOF
  if cmp -s "$pk_unit.tmp" "$pk_unit" && [ -L "$pk_link" ]; then rm -f "$pk_unit.tmp"; pk_say kept "$pk_unit"
  else
    mv -f "$pk_unit.tmp" "$pk_unit" && ln -sf ../provkit-first-boot.service "$pk_link" || pk_fail "cannot enable $pk_unit"
    pk_say installed "$pk_unit"
  fi
elif [ -f /etc/inittab ]; then
  if grep -q provkit-first-boot /etc/inittab; then
    pk_say kept "/etc/inittab entry for $pk_hook"
  elif [ "$pk_init" = busybox ]; then
    awk -v line="::sysinit:$pk_hook" '!done && /^[^#]*:sysinit:/ { print line; done = 1 } { print } END { if (!done) print line }' /etc/inittab >/etc/inittab.provkit &&
      cat /etc/inittab.provkit >/etc/inittab && rm -f /etc/inittab.provkit || pk_fail "cannot edit /etc/inittab"
    pk_say changed "/etc/inittab (busybox sysinit entry)"
  else
    awk -v line="pkfb::sysinit:$pk_hook" '{ lines[NR] = $0 } /^[^#]*:sysinit:/ { last = NR } END { for (i = 1; i <= NR; i++) { print lines[i]; if (i == last) print line } if (!last) print line }' /etc/inittab >/etc/inittab.provkit &&
      cat /etc/inittab.provkit >/etc/inittab && rm -f /etc/inittab.provkit || pk_fail "cannot edit /etc/inittab"
    pk_say changed "/etc/inittab (sysvinit sysinit entry)"
  fi
else
  pk_say note "no systemd and no /etc/inittab: the guest's own boot must create host keys"
fi
`);
}
