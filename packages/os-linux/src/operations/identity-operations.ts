import { raw } from '@provkit/core';
import { installFirstBootHookScript } from '../first-boot/first-boot-hook.ts';
import { guestScript } from '../script/guest-script.ts';
import type { GeneralizationOperation } from './generalization-operation.ts';

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
    description: "Remove the SSH host keys and install a first-boot hook that makes new ones before sshd starts (systemd unit or inittab entry).",
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`pk_rm /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub /etc/ssh/ssh_host_key /etc/ssh/ssh_host_key.pub
${installFirstBootHookScript().text}`)),
    }),
  },
  {
    name: 'net-hostname',
    origin: 'virt-sysprep',
    description: 'Remove HOSTNAME= and DHCP_HOSTNAME= from ifcfg network scripts and /etc/sysconfig/network.',
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`for pk_cfg in /etc/sysconfig/network-scripts/ifcfg-* /etc/sysconfig/network; do
  [ -f "$pk_cfg" ] || continue
  if grep -Eq '^[[:space:]]*(DHCP_)?HOSTNAME=' "$pk_cfg"; then
    sed -E -i '/^[[:space:]]*(DHCP_)?HOSTNAME=/d' "$pk_cfg" || pk_fail "cannot edit $pk_cfg"
    pk_say changed "$pk_cfg"
  fi
done
`)),
    }),
  },
  {
    name: 'hostname-file',
    origin: 'vcl',
    description: "Truncate /etc/hostname (VCL): the next machine takes its name from DHCP or from the load's customization.",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_truncate /etc/hostname\n')) }),
  },
  {
    name: 'net-hwaddr',
    origin: 'virt-sysprep',
    description: 'Remove HWADDR= from ifcfg network scripts, so the interface config follows any MAC address.',
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`for pk_cfg in /etc/sysconfig/network-scripts/ifcfg-* /etc/sysconfig/network/ifcfg-*; do
  [ -f "$pk_cfg" ] || continue
  if grep -Eq '^[[:space:]]*HWADDR=' "$pk_cfg"; then
    sed -E -i '/^[[:space:]]*HWADDR=/d' "$pk_cfg" || pk_fail "cannot edit $pk_cfg"
    pk_say changed "$pk_cfg"
  fi
done
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
    name: 'kerberos-hostkeytab',
    origin: 'virt-sysprep',
    description: "Remove the Kerberos host keytab (this machine's domain credentials).",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm /etc/krb5.keytab\n')) }),
  },
];
