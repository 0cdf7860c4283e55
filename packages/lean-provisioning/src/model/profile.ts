import { InvalidInputError, checkAbsolutePath, checkName, describeValue } from '@provkit/core';
import type { VmSize } from './vm-size.ts';

/** How the guest clock relates to the host's (libvirt's `<clock offset>`). */
export type ClockOffset = 'utc' | 'localtime';

/** What is installed: stoney cloud's operating system, type and version. */
export interface OsFacts {
  /** e.g. `Linux`, `Windows`. */
  operatingSystem: string;
  /** e.g. `Debian`, `Server 2022`. */
  type: string;
  /** e.g. `12`, `Standard`. */
  version: string;
}

/** Size + OS facts + install media: what a template is installed from. */
export interface Profile {
  name: string;
  size: VmSize;
  os: OsFacts;
  /** Install medium on the host, when the template is installed from an ISO. */
  iso?: string;
  clockOffset: ClockOffset;
}

/** Input of {@link createProfile}; `clockOffset` defaults to `utc` (`localtime` for Windows). */
export interface ProfileInput {
  name: string;
  size: VmSize;
  os: OsFacts;
  iso?: string;
  clockOffset?: ClockOffset;
}

const TEXT = /^[\p{L}\p{N} ._()+-]{1,64}$/u;

function text(field: string, value: unknown): string {
  if (typeof value !== 'string' || !TEXT.test(value)) throw new InvalidInputError(field, `expected 1-64 letters, digits, spaces or ._()+-, got ${describeValue(value)}`);
  return value;
}

/** Validates a profile; bad input throws `InvalidInputError` naming the field. */
export function createProfile(input: ProfileInput): Profile {
  checkName('profile.name', input.name);
  if (typeof input.size !== 'object' || input.size === null) throw new InvalidInputError('profile.size', 'is required');
  const os: OsFacts = {
    operatingSystem: text('profile.os.operatingSystem', input.os?.operatingSystem),
    type: text('profile.os.type', input.os?.type),
    version: text('profile.os.version', input.os?.version),
  };
  const clockOffset = input.clockOffset ?? (os.operatingSystem.toLowerCase() === 'windows' ? 'localtime' : 'utc');
  if (clockOffset !== 'utc' && clockOffset !== 'localtime') throw new InvalidInputError('profile.clockOffset', `expected utc or localtime, got ${describeValue(clockOffset)}`);
  const profile: Profile = { name: input.name, size: input.size, os, clockOffset };
  if (input.iso !== undefined) profile.iso = checkAbsolutePath('profile.iso', input.iso);
  return profile;
}
