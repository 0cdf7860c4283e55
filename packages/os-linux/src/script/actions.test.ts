import { describe, expect, it } from 'vitest';
import { changedAnything, parseActions, summarizeActions } from './actions.ts';

describe('guest script actions', () => {
  it('reads only @provkit lines, keeping objects with spaces', () => {
    const actions = parseActions('noise\n@provkit removed /etc/ssh/ssh_host_rsa_key\n@provkit kept /root/.ssh/authorized_keys\n@provkit changed password of root\n');
    expect(actions).toEqual([
      { verb: 'removed', object: '/etc/ssh/ssh_host_rsa_key' },
      { verb: 'kept', object: '/root/.ssh/authorized_keys' },
      { verb: 'changed', object: 'password of root' },
    ]);
  });

  it('counts kept and note as no change', () => {
    expect(changedAnything(parseActions('@provkit kept x\n@provkit note y\n'))).toBe(false);
    expect(changedAnything(parseActions('@provkit truncated /etc/machine-id\n'))).toBe(true);
  });

  it('summarizes by verb and caps long lists', () => {
    const stdout = Array.from({ length: 8 }, (_, i) => `@provkit removed /tmp/f${i}`).join('\n') + '\n@provkit truncated /etc/machine-id\n';
    expect(summarizeActions(parseActions(stdout))).toBe('removed 8 (/tmp/f0, /tmp/f1, /tmp/f2, /tmp/f3, /tmp/f4, +3 more); truncated /etc/machine-id');
    expect(summarizeActions([])).toBe('nothing to do');
  });
});
