import { InvalidInputError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { checkArgv, checkComputerName, checkWindowsPassword, checkWindowsPath, checkWindowsUsername } from './windows-validators.ts';

describe('Windows validators', () => {
  it('accepts ordinary account names and refuses quotes, separators, ".." and over-long names', () => {
    for (const name of ['alice', 'Administrator', 'lab_user-1', 'a.b']) expect(checkWindowsUsername('username', name)).toBe(name);
    for (const name of ['a"b', 'a;b', '$(reboot)', '', 'a b', 'dom\\user', 'x'.repeat(21), 'trailing.', '-dash', 'a/b', 'a@b', '0..0', 'a..b']) {
      expect(() => checkWindowsUsername('username', name)).toThrow(InvalidInputError);
    }
  });

  it('checks computer names, paths, passwords, keys and argv', () => {
    expect(checkComputerName('hostname', 'LAB-PC01')).toBe('LAB-PC01');
    for (const bad of ['123', 'x'.repeat(16), 'a_b', '-a']) expect(() => checkComputerName('hostname', bad)).toThrow(InvalidInputError);
    expect(checkWindowsPath('path', 'C:\\ProgramData\\provkit\\x.txt')).toBe('C:\\ProgramData\\provkit\\x.txt');
    for (const bad of ['relative\\x', 'C:\\a\\..\\b', 'C:\\a"b', '/etc/passwd']) expect(() => checkWindowsPath('path', bad)).toThrow(InvalidInputError);
    expect(() => checkWindowsPassword('password', 'two\nlines')).toThrow(InvalidInputError);
    const error = (() => {
      try {
        checkWindowsPassword('password', 'hunter2\r');
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).not.toContain('hunter2');
    expect(() => checkArgv('cmd', ['a', ''])).toThrow(InvalidInputError);
    expect(() => checkArgv('cmd', ['a', 'say "hi"'])).toThrow(InvalidInputError);
  });
});
