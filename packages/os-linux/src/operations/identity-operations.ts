import { raw } from '@provkit/core';
import { HOST_KEYS_MARKER, installFirstBootHookScript } from '../first-boot/first-boot-hook.ts';
import { guestScript } from '../script/guest-script.ts';
import type { GeneralizationOperation } from './generalization-operation.ts';

const REMOVE_HOST_KEYS = String.raw`pk_rm /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub /etc/ssh/ssh_host_key /etc/ssh/ssh_host_key.pub
`;

function removeHostKeysScript(): string {
  return REMOVE_HOST_KEYS;
}

/**
 * End state on: the guest must stay reachable, so each key is replaced in place (public half
 * first, then the private one, each by a rename) rather than removed. The marker asks the
 * first-boot hook to replace these interim keys too, so clones still get keys of their own.
 * A second run finds the marker and keeps the interim keys.
 */
function replaceHostKeysScript(): string {
  return String.raw`pk_marker=${HOST_KEYS_MARKER}
if [ -e "$pk_marker" ] && [ -s /etc/ssh/ssh_host_ed25519_key ]; then
  pk_say kept "/etc/ssh host keys (already replaced; the first boot replaces them again)"
else
  pk_have ssh-keygen || pk_fail "end state on needs ssh-keygen on the guest: removing the host keys would leave sshd unable to accept a new connection"
  for pk_key in /etc/ssh/ssh_host_*_key; do
    [ -f "$pk_key" ] || continue
    pk_type=$(echo "$pk_key" | sed 's,^/etc/ssh/ssh_host_,,; s,_key$,,')
    rm -f "$pk_key.provkit-new" "$pk_key.provkit-new.pub"
    if ssh-keygen -q -t "$pk_type" -N '' -C "root@generalized" -f "$pk_key.provkit-new" </dev/null >/dev/null 2>&1; then
      mv -f "$pk_key.provkit-new.pub" "$pk_key.pub" && mv -f "$pk_key.provkit-new" "$pk_key" || pk_fail "cannot replace $pk_key"
      pk_say replaced "$pk_key ($(ssh-keygen -l -f "$pk_key.pub" | cut -d' ' -f2))"
    else
      rm -f "$pk_key.provkit-new" "$pk_key.provkit-new.pub"
      pk_rm "$pk_key" "$pk_key.pub"
    fi
  done
  pk_rm /etc/ssh/ssh_host_key /etc/ssh/ssh_host_key.pub
  if [ ! -s /etc/ssh/ssh_host_ed25519_key ]; then
    ssh-keygen -A >/dev/null 2>&1 || pk_fail "ssh-keygen -A failed"
    pk_say created "/etc/ssh/ssh_host_ed25519_key ($(ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f2))"
  fi
  : >"$pk_marker" || pk_fail "cannot create $pk_marker"
  pk_say created "$pk_marker"
fi
`;
}

/**
 * The old names are read before the file is emptied; only names made of hostname characters
 * are used, so nothing from the guest reaches awk as a pattern.
 */
const HOSTNAME_FILE_SCRIPT = String.raw`pk_names=$( { grep -v '^[[:space:]]*#' /etc/hostname 2>/dev/null; hostname 2>/dev/null; } | tr -d ' \t' | while read -r pk_n; do
  case "$pk_n" in ''|localhost|localhost.localdomain|*[!A-Za-z0-9.-]*) continue ;; esac
  echo "$pk_n"; echo "$pk_n" | cut -d. -f1
done | sort -u | tr '\n' ' ')
pk_truncate /etc/hostname
if [ -f /etc/hosts ] && [ -n "$pk_names" ]; then
  awk -v names="$pk_names" '
    BEGIN { n = split(names, list, " "); for (i = 1; i <= n; i++) drop[list[i]] = 1 }
    /^[[:space:]]*#/ || NF < 2 { print; next }
    {
      out = $1; kept = 0; dropped = 0
      for (i = 2; i <= NF; i++) {
        if ($i ~ /^#/) { for (; i <= NF; i++) out = out " " $i; break }
        if ($i in drop) dropped++; else { out = out " " $i; kept++ }
      }
      if (!dropped) print; else if (kept) print out
    }' /etc/hosts >/etc/hosts.provkit || pk_fail "cannot read /etc/hosts"
  if cmp -s /etc/hosts /etc/hosts.provkit; then rm -f /etc/hosts.provkit
  else cat /etc/hosts.provkit >/etc/hosts && rm -f /etc/hosts.provkit || pk_fail "cannot edit /etc/hosts"; pk_say changed "/etc/hosts (removed $(echo $pk_names))"; fi
fi
`;

/** Operations that remove what makes a machine this one machine: ids, keys, names, addresses. */
export const identityOperations: readonly GeneralizationOperation[] = [
  {
    name: 'machine-id',
    origin: 'virt-sysprep',
    description: 'Truncate /etc/machine-id (kept as an empty file, so systemd or the first-boot hook makes a new one) and remove the D-Bus copy.',
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`pk_truncate /etc/machine-id
if [ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then pk_rm /var/lib/dbus/machine-id; fi
`)),
    }),
  },
  {
    name: 'ssh-hostkeys',
    origin: 'virt-sysprep',
    description:
      "Remove the SSH host keys and install a first-boot hook that makes new ones before sshd starts (systemd unit or inittab entry). With end state on, each key is replaced by a new one of its type instead (the running sshd reads its keys at every new connection, so it keeps accepting them), and the hook is told to replace those too at the next boot.",
    defaultEnabled: true,
    build: (context) => ({ script: guestScript(raw(`${context.endState === 'on' ? replaceHostKeysScript() : removeHostKeysScript()}${installFirstBootHookScript().text}`)) }),
  },
  {
    name: 'net-hostname',
    origin: 'virt-sysprep',
    description: 'Remove HOSTNAME= and DHCP_HOSTNAME= from ifcfg network scripts and /etc/sysconfig/network.',
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`pk_del_lines '^[[:space:]]*(DHCP_)?HOSTNAME=' /etc/sysconfig/network-scripts/ifcfg-* /etc/sysconfig/network
`)),
    }),
  },
  {
    name: 'hostname-file',
    origin: 'vcl',
    description:
      "Truncate /etc/hostname (VCL) and take the old names (the file's and the running one, with their short forms) out of /etc/hosts, dropping lines left with an address only: the next machine takes its name from DHCP or from the load's customization, which writes its own 127.0.1.1 line.",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw(HOSTNAME_FILE_SCRIPT)) }),
  },
  {
    name: 'net-hwaddr',
    origin: 'virt-sysprep',
    description: 'Remove HWADDR= from ifcfg network scripts, so the interface config follows any MAC address.',
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`pk_del_lines '^[[:space:]]*HWADDR=' /etc/sysconfig/network-scripts/ifcfg-* /etc/sysconfig/network/ifcfg-*
`)),
    }),
  },
  {
    name: 'net-nmconn',
    origin: 'virt-sysprep',
    description: 'Remove NetworkManager connection profiles (they name this machine\'s interfaces and MACs).',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_empty_dir /etc/NetworkManager/system-connections\n')) }),
  },
  {
    name: 'udev-persistent-net',
    origin: 'virt-sysprep',
    description: 'Remove udev persistent net rules (70-persistent-net.rules, also a VCL step), which pin interface names to old MACs.',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm /etc/udev/rules.d/70-persistent-net.rules /etc/udev/rules.d/70-persistent-cd.rules\n')) }),
  },
  {
    name: 'dhcp-client-state',
    origin: 'virt-sysprep',
    description: 'Remove DHCP client leases (dhclient, dhcpcd, NetworkManager, systemd-networkd).',
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`pk_empty_dir /var/lib/dhclient /var/lib/dhcpcd /var/lib/dhcpcd5
pk_rm /var/lib/dhcp/*.leases /var/lib/dhcp/*.lease /var/lib/NetworkManager/*.lease /var/lib/NetworkManager/dhclient-*.conf
pk_empty_dir /var/lib/systemd/network
`)),
    }),
  },
  {
    name: 'dhcp-server-state',
    origin: 'virt-sysprep',
    description: 'Remove DHCP server leases.',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_empty_dir /var/lib/dhcpd\npk_rm /var/lib/dhcp/dhcpd.leases /var/lib/dhcp/dhcpd.leases~ /var/lib/dhcp/dhcpd6.leases\n')) }),
  },
  {
    name: 'network-dhcp',
    origin: 'vcl',
    description:
      "VCL's enable_dhcp: ifcfg network scripts with a static address go back to BOOTPROTO=dhcp (IPADDR, NETMASK, PREFIX, GATEWAY, BROADCAST and NETWORK lines removed), GATEWAY= leaves /etc/sysconfig/network, and static route files (route-*, route6-*) are removed. Debian's /etc/network/interfaces is left as it is.",
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`for pk_cfg in /etc/sysconfig/network-scripts/ifcfg-*; do
  [ -f "$pk_cfg" ] || continue
  case "$pk_cfg" in */ifcfg-lo) continue ;; esac
  if grep -Eq '^[[:space:]]*(BOOTPROTO=["'\'']?(static|none)|(IPADDR|NETMASK|PREFIX|GATEWAY|BROADCAST|NETWORK)[0-9]*=)' "$pk_cfg"; then
    sed -E -i -e '/^[[:space:]]*(IPADDR|NETMASK|PREFIX|GATEWAY|BROADCAST|NETWORK)[0-9]*=/d' -e 's/^([[:space:]]*)BOOTPROTO=.*/\1BOOTPROTO=dhcp/' "$pk_cfg" || pk_fail "cannot edit $pk_cfg"
    grep -q '^[[:space:]]*BOOTPROTO=' "$pk_cfg" || echo BOOTPROTO=dhcp >>"$pk_cfg" || pk_fail "cannot edit $pk_cfg"
    pk_say changed "$pk_cfg (BOOTPROTO=dhcp)"
  fi
done
if [ -f /etc/sysconfig/network ] && grep -Eq '^[[:space:]]*GATEWAY=' /etc/sysconfig/network; then
  sed -E -i '/^[[:space:]]*GATEWAY=/d' /etc/sysconfig/network || pk_fail "cannot edit /etc/sysconfig/network"
  pk_say changed /etc/sysconfig/network
fi
pk_rm_files /etc/sysconfig/network-scripts/route-* /etc/sysconfig/network-scripts/route6-*
`)),
    }),
  },
  {
    name: 'kerberos-hostkeytab',
    origin: 'virt-sysprep',
    description: "Remove the Kerberos host keytab (this machine's domain credentials).",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm /etc/krb5.keytab\n')) }),
  },
];
