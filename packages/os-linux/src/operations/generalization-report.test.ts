import { describe, expect, it } from 'vitest';
import { parseActions } from '../script/actions.ts';
import { reportEntry, reportTotals } from './generalization-report.ts';

describe('the generalization report', () => {
  it('groups an operation\'s actions into removed, emptied and changed, and leaves out facts that changed nothing', () => {
    const actions = parseActions(
      [
        '@provkit removed /etc/ssh/ssh_host_rsa_key',
        '@provkit deleted-user resuser',
        '@provkit truncated /var/log/syslog',
        '@provkit wiped /swapfile (swap; header with UUID and label kept)',
        '@provkit changed /etc/hosts (removed old-node)',
        '@provkit replaced /etc/ssh/ssh_host_ed25519_key (SHA256:abc)',
        '@provkit killed process 42 of uid 1000',
        '@provkit kept /root/.ssh/authorized_keys',
        '@provkit note nothing to refresh',
      ].join('\n'),
    );
    expect(reportEntry('mixed', actions)).toEqual({
      operation: 'mixed',
      removed: ['/etc/ssh/ssh_host_rsa_key', 'user resuser'],
      emptied: ['/var/log/syslog', '/swapfile (swap; header with UUID and label kept)'],
      changed: ['/etc/hosts (removed old-node)', 'replaced /etc/ssh/ssh_host_ed25519_key (SHA256:abc)', 'killed process 42 of uid 1000'],
    });
  });

  it('totals a report for the progress event', () => {
    const entries = [reportEntry('a', parseActions('@provkit removed /x\n@provkit removed /y\n')), reportEntry('b', parseActions('@provkit truncated /z\n'))];
    expect(reportTotals(entries)).toBe('removed 2, emptied 1, changed 0');
  });
});
