import { describe, expect, it } from 'vitest';
import { leftoverLines } from './leftovers-command.ts';

describe('provkit leftovers: the lines printed for each provisioner\'s report', () => {
  const hostReport = { removed: false, interrupted: [], orphanFiles: [], partials: [], unreadableRecords: [], processes: [] };

  it('prints the KVM report item by item and says whether it was a dry run', () => {
    const report = {
      ...hostReport,
      interrupted: [{ node: 'web-1', record: { operation: 'load', pid: 42, host: 'orch-a', startedAt: '2026-12-03T19:00:00Z', paths: ['/n/web-1.qcow2'] }, domainDefined: true }],
      partials: [{ image: 'centos-v3', path: '/lib/.centos-v3.qcow2.part' }],
    };
    expect(leftoverLines(report, false)).toEqual([
      'interrupted load of web-1 (pid 42 on orch-a, 2026-12-03T19:00:00Z): domain web-1, /n/web-1.qcow2',
      'partial copy of centos-v3: /lib/.centos-v3.qcow2.part',
      'dry run: nothing removed (--remove removes them)',
    ]);
    expect(leftoverLines({ ...report, removed: true }, true).at(-1)).toBe('removed all of the above');
    expect(leftoverLines(hostReport, false)).toEqual(['nothing left behind']);
  });

  it('prints the ESX list (VMs and capture copies whose operation died) instead of failing on its shape', () => {
    const list = [
      { kind: 'node', name: 'web-1', operation: 'op1', owner: 'orch-a:42', removed: false },
      { kind: 'capture', name: 'centos-v3~capture-1a2b', image: 'centos-v3', operation: 'op2', owner: undefined, removed: false },
    ];
    expect(leftoverLines(list, false)).toEqual([
      'node web-1 (operation op1, owner orch-a:42)',
      'temporary copy of a capture of centos-v3 centos-v3~capture-1a2b (operation op2, owner unknown)',
      'dry run: nothing removed (--remove removes them)',
    ]);
    expect(leftoverLines([{ ...list[0]!, removed: true }, list[1]!], true)).toEqual([
      'node web-1 (operation op1, owner orch-a:42): removed',
      'temporary copy of a capture of centos-v3 centos-v3~capture-1a2b (operation op2, owner unknown): NOT removed',
    ]);
    expect(leftoverLines([], true)).toEqual(['nothing left behind']);
  });
});
