import { describe, expect, it } from 'vitest';
import { createProfile } from './profile.ts';

const size = { name: 'small', cpus: 2, memoryBytes: 268_435_456, diskBytes: 16_106_127_360 };

describe('profile', () => {
  it('is a size plus OS facts; the clock defaults to utc, and to localtime for Windows', () => {
    expect(createProfile({ name: 'debian12-small', size, os: { operatingSystem: 'Linux', type: 'Debian', version: '12' } })).toEqual({
      name: 'debian12-small',
      size,
      os: { operatingSystem: 'Linux', type: 'Debian', version: '12' },
      clockOffset: 'utc',
    });
    expect(createProfile({ name: 'win', size, os: { operatingSystem: 'Windows', type: 'Server 2022', version: 'Standard' }, iso: '/srv/iso/win2022.iso' })).toMatchObject({
      clockOffset: 'localtime',
      iso: '/srv/iso/win2022.iso',
    });
  });

  it.each([
    [{ name: 'bad name' }, 'profile.name'],
    [{ os: { operatingSystem: 'Linux', type: 'Debian;rm', version: '12' } }, 'profile.os.type'],
    [{ iso: 'relative.iso' }, 'profile.iso'],
    [{ clockOffset: 'variable' }, 'profile.clockOffset'],
  ])('refuses %j naming %s', (overrides, field) => {
    const input = { name: 'p', size, os: { operatingSystem: 'Linux', type: 'Debian', version: '12' }, ...overrides } as Parameters<typeof createProfile>[0];
    expect(() => createProfile(input)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field }));
  });
});
