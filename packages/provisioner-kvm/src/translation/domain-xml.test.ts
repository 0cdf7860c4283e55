import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDomainXml, type DomainSpec } from './domain-xml.ts';

// Golden files are reviewed by hand; regenerate with PROVKIT_UPDATE_GOLDEN=1 and read the diff.
function expectGolden(name: string, actual: string): void {
  const path = new URL(`./golden/${name}.xml`, import.meta.url);
  if (process.env.PROVKIT_UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

const lab: DomainSpec = {
  name: 'pklab-node-1',
  type: 'qemu',
  cpus: 1,
  memoryBytes: 192 * 1024 * 1024,
  clock: 'utc',
  disks: [{ path: '/var/lib/libvirt/images/nodes/pklab-node-1.qcow2', format: 'qcow2', target: 'vda' }],
  nics: [],
  userNetForwards: [{ mac: '52:54:00:aa:bb:cc', hostAddress: '127.0.0.1', hostPort: 40022, guestPort: 22 }],
  serial: { logFile: '/var/log/libvirt/qemu/pklab-node-1-console.log' },
  directKernelBoot: { kernel: '/srv/guest/vmlinuz', initrd: '/srv/guest/initrd.img', cmdline: 'console=ttyS0 root=/dev/vda quiet' },
  metadata: { image: 'labguest-v1' },
};

const production: DomainSpec = {
  name: 'web-7',
  type: 'kvm',
  cpus: 4,
  memoryBytes: 4 * 1024 ** 3,
  machine: 'q35',
  clock: 'localtime',
  disks: [
    { path: '/srv/nodes/web-7.qcow2', format: 'qcow2', target: 'vda' },
    { path: '/srv/nodes/web-7-data.raw', format: 'raw', target: 'vdb' },
  ],
  nics: [
    { mac: '52:54:00:01:02:03', source: { kind: 'bridge', bridge: 'br0' } },
    { mac: '52:54:00:01:02:04', source: { kind: 'network', network: 'default' }, model: 'e1000' },
  ],
  serial: false,
  metadata: { image: 'win10-base-v12' },
};

describe('buildDomainXml', () => {
  it('lab guest: TCG, direct kernel boot, serial console with log, user-net SSH forward at an explicit PCI slot', () => {
    expectGolden('lab-direct-boot-user-net', buildDomainXml(lab));
  });

  it('production node: kvm, several cpus and disks, bridge and network NICs with MACs, localtime clock, boot from disk', () => {
    expectGolden('production-bridge', buildDomainXml(production));
  });

  it('rounds memory up to whole KiB and writes it as KiB', () => {
    const text = buildDomainXml({ ...production, memoryBytes: 1025 });
    expect(text).toContain(`<memory unit='KiB'>2</memory>`);
  });

  it('escapes every value: a kernel command line with quotes and ampersands stays one element', () => {
    const text = buildDomainXml({ ...lab, directKernelBoot: { kernel: '/k', cmdline: `init=/bin/sh -c 'a && b' <x>` } });
    expect(text).toContain('<cmdline>init=/bin/sh -c &apos;a &amp;&amp; b&apos; &lt;x&gt;</cmdline>');
  });

  it('places each user-net device on its own slot after the first', () => {
    const text = buildDomainXml({ ...lab, userNetForwards: [lab.userNetForwards![0]!, { mac: '52:54:00:aa:bb:cd', hostAddress: '127.0.0.1', hostPort: 40023, guestPort: 80 }] });
    expect(text).toContain('netdev=pknet0,mac=52:54:00:aa:bb:cc,bus=pci.0,addr=0x9');
    expect(text).toContain('netdev=pknet1,mac=52:54:00:aa:bb:cd,bus=pci.0,addr=0xa');
  });

  it('omits the qemu namespace and metadata when unused', () => {
    const { metadata: _metadata, ...withoutMetadata } = production;
    const text = buildDomainXml(withoutMetadata);
    expect(text).not.toContain('xmlns:qemu');
    expect(text).not.toContain('<metadata>');
  });
});

describe('user-network forwards', () => {
  it('brackets an IPv6 host address in the hostfwd rule, as QEMU requires', () => {
    const xmlText = buildDomainXml({
      name: 'v6-node',
      type: 'qemu',
      cpus: 1,
      memoryBytes: 256 * 1024 * 1024,
      machine: 'pc',
      clock: 'utc',
      disks: [{ path: '/var/lib/provkit/nodes/v6-node.qcow2', format: 'qcow2', target: 'vda' }],
      nics: [],
      serial: {},
      userNetForwards: [{ mac: '52:54:00:12:34:56', hostAddress: '::1', hostPort: 2222, guestPort: 22 }],
    });
    expect(xmlText).toContain('hostfwd=tcp:[::1]:2222-:22');
    expect(xmlText.replace('[::1]', '')).not.toContain('::1');
  });
});
