import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isNoSuchDomain, parseDomainList, parseDomBlkList, parseDomState, parseNameList, parseProvkitRecord, parseRecordedImage, parseRecordedImages, powerStateOf } from './virsh-output.ts';

// Fixtures are real output of virsh 9.0 on the lab's libvirtd.
const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('virsh output parsers', () => {
  it('parses domstate with and without a reason and maps it to a power state', () => {
    expect(parseDomState('running (booted)\n\n')).toEqual({ state: 'running', reason: 'booted' });
    expect(parseDomState('shut off (destroyed)\n')).toEqual({ state: 'shut off', reason: 'destroyed' });
    expect(parseDomState('in shutdown\n')).toEqual({ state: 'in shutdown' });
    expect(powerStateOf('running')).toBe('on');
    expect(powerStateOf('shut off')).toBe('off');
    expect(powerStateOf('paused')).toBe('suspended');
    expect(powerStateOf('no state')).toBe('unknown');
    expect(() => parseDomState('error: something\n')).toThrow(expect.objectContaining({ code: 'UNEXPECTED_OUTPUT', tool: 'virsh domstate' }));
  });

  it('parses list --all --name, dropping the trailing blank line', () => {
    expect(parseNameList(fixture('list-all-name.txt'))).toEqual(['pklab-node-1']);
    expect(parseNameList('\n')).toEqual([]);
  });

  it('parses domblklist --details, including sources with spaces and empty drives', () => {
    expect(parseDomBlkList(fixture('domblklist-details.txt'))).toEqual([{ type: 'file', device: 'disk', target: 'vda', source: '/var/lib/libvirt/images/pkmanual/node1.qcow2' }]);
    const more = `${fixture('domblklist-details.txt').trimEnd()}\n file   disk     vdb      /srv/my disks/b.qcow2\n file   cdrom    sda      -\n`;
    expect(parseDomBlkList(more).slice(1)).toEqual([
      { type: 'file', device: 'disk', target: 'vdb', source: '/srv/my disks/b.qcow2' },
      { type: 'file', device: 'cdrom', target: 'sda', source: undefined },
    ]);
    expect(() => parseDomBlkList('garbage')).toThrow(expect.objectContaining({ code: 'UNEXPECTED_OUTPUT', tool: 'virsh domblklist --details' }));
  });

  it('parses domblklist --details without its header, as virsh --quiet prints it', () => {
    expect(parseDomBlkList(fixture('domblklist-details-quiet.txt'))).toEqual([{ type: 'file', device: 'disk', target: 'vda', source: '/var/lib/libvirt/images/provkit-pklab-df89ec/nodes/pklab-df89ec-silent-3.qcow2' }]);
    expect(parseDomBlkList('')).toEqual([]);
  });

  it('recognizes virsh saying a domain does not exist', () => {
    expect(isNoSuchDomain("error: failed to get domain 'nonexist'\n")).toBe(true);
    expect(isNoSuchDomain('error: Failed to start domain')).toBe(false);
  });

  it('reads the image provkit recorded in the metadata of dumpxml', () => {
    expect(parseRecordedImage(fixture('dumpxml-lab.xml'))).toBe('labguest-v1');
    expect(parseRecordedImage(`<domain><metadata><p:node xmlns:p='https://provkit.dev/xmlns/kvm/v1'><p:image>a&amp;b-v1</p:image></p:node></metadata></domain>`)).toBe('a&b-v1');
    expect(parseRecordedImage('<domain><metadata/></domain>')).toBeUndefined();
  });

  it("tells a domain provkit defined (its marker, in provkit's namespace) from anyone else's", () => {
    expect(parseProvkitRecord(fixture('dumpxml-lab.xml'))).toEqual({ managed: true, image: 'labguest-v1' });
    expect(parseProvkitRecord(`<domain><metadata><x:node xmlns:x='https://provkit.dev/xmlns/kvm/v1'></x:node></metadata></domain>`)).toEqual({ managed: true });
    expect(parseProvkitRecord('<domain><name>theirs</name><metadata/></domain>')).toEqual({ managed: false });
    // The same element name in another namespace is not provkit's marker.
    expect(parseProvkitRecord(`<domain><metadata><p:node xmlns:p='https://example.org/other'><p:image>a-v1</p:image></p:node></metadata></domain>`)).toEqual({ managed: false });
  });

  it('parses list --all into name and state, "shut off" included, and refuses an unknown state', () => {
    expect([...parseDomainList(fixture('list-all.txt'))]).toEqual([
      ['pklab-c49d39-par-4', 'running'],
      ['pklab-c49d39-par-5', 'shut off'],
    ]);
    expect(parseDomainList('\n').size).toBe(0);
    expect(() => parseDomainList(' -   web   exploded\n')).toThrow(/virsh list --all/);
  });

  it('reads the recorded image of each domain from one virsh run of several dumpxml', () => {
    expect([...parseRecordedImages(fixture('dumpxml-two-domains.xml'))]).toEqual([
      ['pklab-c49d39-par-4', 'labguest-v1'],
      ['pklab-c49d39-par-5', 'labguest-v1'],
    ]);
  });
});
