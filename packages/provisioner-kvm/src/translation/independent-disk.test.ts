import { readFileSync } from 'node:fs';
import { shellJoin } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { blockJobCommands, blockJobPercent, copyForRebase, isBlockJobBusy, isDomainNotRunning, isNoActiveBlockJob, parseBlockJobInfo, qemuImgRebaseStandalone, removeRebasePartials, replaceDisk } from './independent-disk.ts';
import { parseQemuImgInfo } from './qemu-img-info.ts';

// Every fixture here was recorded on this machine's lab host (virsh 9.0.0, qemu-img 7.2.22),
// on a throwaway domain booting the lab guest from an overlay on a copy of its image: a pull
// started with `--bandwidth 1` and read mid-way, read again after it ended, an abort with no
// job, a second pull while one ran, a pull of a shut-off domain, and qemu-img info of the
// overlay before, after the live pull, and after the offline rebase.
const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('block job commands', () => {
  const jobs = blockJobCommands('qemu:///system');
  it('starts a pull without waiting, with an optional bandwidth cap, naming domain and disk by option', () => {
    expect(jobs.pull('web-1', 'vda')).toEqual(['virsh', '--quiet', '--connect', 'qemu:///system', 'blockpull', '--domain', 'web-1', '--path', 'vda']);
    expect(jobs.pull('web-1', 'vda', { bandwidthMiBps: 50 }).slice(4)).toEqual(['blockpull', '--domain', 'web-1', '--path', 'vda', '--bandwidth', '50']);
    expect(jobs.pull('web-1', 'vda')).not.toContain('--wait');
  });
  it('reads job info raw and cancels with a synchronous abort', () => {
    expect(jobs.info('web-1', 'vda').slice(4)).toEqual(['blockjob', '--domain', 'web-1', '--path', 'vda', '--info', '--raw']);
    expect(jobs.abort('web-1', 'vda').slice(4)).toEqual(['blockjob', '--domain', 'web-1', '--path', 'vda', '--abort']);
    expect(jobs.abort('web-1', 'vda')).not.toContain('--async');
  });
  it('quotes a hostile domain name as one word', () => {
    expect(shellJoin(jobs.pull("x'; reboot #", 'vda'))).toContain(`--domain 'x'\\''; reboot #'`);
  });
});

describe('parseBlockJobInfo', () => {
  it('parses a pull in progress', () => {
    const info = parseBlockJobInfo(fixture('blockjob-info-raw-pull.txt'));
    expect(info).toEqual({ type: 'Block Pull', currentBytes: 18284544, endBytes: 268435456, bandwidthMiBps: 1 });
    expect(blockJobPercent(info!)).toBe(6);
  });
  it('reads no output as no job', () => {
    expect(fixture('blockjob-info-raw-none.txt')).toBe('');
    expect(parseBlockJobInfo(fixture('blockjob-info-raw-none.txt'))).toBeUndefined();
  });
  it('refuses output that is not a job', () => {
    expect(() => parseBlockJobInfo('Block Pull: [  6 %]')).toThrow(expect.objectContaining({ code: 'UNEXPECTED_OUTPUT' }));
    expect(() => parseBlockJobInfo(' type=Block Pull\n cur=12\n')).toThrow(/no type, cur and end/);
  });
  it('says 0% while the end is unknown', () => {
    expect(blockJobPercent({ type: 'Block Pull', currentBytes: 0, endBytes: 0, bandwidthMiBps: 0 })).toBe(0);
  });
});

describe('virsh refusals', () => {
  it('tells an abort with no job, a busy disk and a stopped domain apart', () => {
    expect(isNoActiveBlockJob(fixture('blockjob-abort-none.stderr.txt'))).toBe(true);
    expect(isBlockJobBusy(fixture('blockpull-busy.stderr.txt'))).toBe(true);
    expect(isDomainNotRunning(fixture('blockpull-shut-off.stderr.txt'))).toBe(true);
    expect(isNoActiveBlockJob(fixture('blockpull-busy.stderr.txt'))).toBe(false);
    expect(isBlockJobBusy(fixture('blockjob-abort-none.stderr.txt'))).toBe(false);
    expect(isDomainNotRunning(fixture('blockpull-busy.stderr.txt'))).toBe(false);
  });
});

describe('qemu-img info around independence', () => {
  it('shows the backing file before, and none after a live pull or an offline rebase', () => {
    expect(parseQemuImgInfo(fixture('qemu-img-info-overlay.json'))[0]).toMatchObject({ backingFilename: '/var/lib/libvirt/images/indep-probe/base.qcow2', virtualBytes: 268435456 });
    for (const after of ['qemu-img-info-pulled.json', 'qemu-img-info-rebased.json']) {
      const [info] = parseQemuImgInfo(fixture(after));
      expect(info).toMatchObject({ virtualBytes: 268435456 });
      expect(info!.backingFilename).toBeUndefined();
      expect(info!.fullBackingFilename).toBeUndefined();
    }
  });
});

describe('offline rebase commands', () => {
  it('copies sparse, keeping mode and owner', () => {
    expect(copyForRebase('/nodes/web-1.qcow2', '/nodes/.web-1.qcow2.part-ab12')).toEqual(['cp', '--sparse=always', '--preserve=mode,ownership', '--', '/nodes/web-1.qcow2', '/nodes/.web-1.qcow2.part-ab12']);
  });
  it('rebases safely onto no backing file (never -u), the empty name kept as one word', () => {
    const command = qemuImgRebaseStandalone('/nodes/.web-1.qcow2.part-ab12');
    expect(command).toEqual(['qemu-img', 'rebase', '-q', '-f', 'qcow2', '-b', '', '/nodes/.web-1.qcow2.part-ab12']);
    expect(command).not.toContain('-u');
    expect(shellJoin(command)).toBe(`qemu-img rebase -q -f qcow2 -b '' /nodes/.web-1.qcow2.part-ab12`);
  });
  it('renames the copy into place and syncs the file and its directory, quoting both paths', () => {
    expect(replaceDisk("/nodes/.n'1.qcow2.part-ab12", "/nodes/n'1.qcow2").text).toBe(`mv -f -- '/nodes/.n'\\''1.qcow2.part-ab12' '/nodes/n'\\''1.qcow2' && sync -- '/nodes/n'\\''1.qcow2' /nodes`);
  });
  it('finds only the hidden temp copies of that one disk', () => {
    expect(removeRebasePartials('/nodes/web-1.qcow2')).toEqual(['find', '/nodes', '-maxdepth', '1', '-type', 'f', '-name', '.web-1.qcow2.part-*', '-print', '-delete']);
  });
});
