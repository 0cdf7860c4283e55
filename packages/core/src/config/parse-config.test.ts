import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidInputError } from '../errors/index.ts';
import { configObject, suggest } from './config-object.ts';
import { byteQuantity, durationMs, localPath, readableFile } from './config-schemas.ts';
import { secretFromEnv } from './env-secret.ts';
import { parseConfig } from './parse-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'provkit-config-'));
const KEY = join(dir, 'id');
writeFileSync(KEY, 'not read by these tests\n');

function refusal(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected a refusal');
}

const section = configObject({ libraryDir: z.string(), count: durationMs.optional(), memory: byteQuantity.optional(), nested: configObject({ bridge: z.string() }).optional() });

describe('parseConfig', () => {
  it('refuses an unknown key by its full path with a did-you-mean, before the missing key it hides', () => {
    const error = refusal(() => parseConfig(section, 'provisioner', { libaryDir: '/srv' }));
    expect(error.field).toBe('provisioner.libaryDir');
    expect(error.message).toBe('Invalid provisioner.libaryDir: unknown setting; did you mean libraryDir?');
    const nested = refusal(() => parseConfig(section, 'provisioner', { libraryDir: '/srv', nested: { bridge: 'br0', fooBar: 1 } }));
    expect(nested.message).toMatch(/^Invalid provisioner\.nested\.fooBar: unknown setting; known settings: bridge$/);
  });

  it('names every kind of bad value in one format', () => {
    expect(refusal(() => parseConfig(section, 'p', { libraryDir: '/a', count: 'soon' })).message).toBe('Invalid p.count: must be a positive whole number of milliseconds');
    expect(refusal(() => parseConfig(section, 'p', { libraryDir: '/a', count: -5 })).field).toBe('p.count');
    expect(refusal(() => parseConfig(section, 'p', { libraryDir: '/a', count: Number.NaN })).field).toBe('p.count');
    expect(refusal(() => parseConfig(section, 'p', {})).message).toBe('Invalid p.libraryDir: is required');
    expect(refusal(() => parseConfig(section, 'p', { libraryDir: '/a', memory: 2048 })).message).toContain('Invalid p.memory: must be a quantity with a unit');
    expect(refusal(() => parseConfig(section, 'p', { libraryDir: '/a', memory: '2 lots' })).field).toBe('p.memory');
    expect(refusal(() => parseConfig(section, 'os', ['a', 'list'])).field).toBe('os');
    expect(parseConfig(section, 'p', { libraryDir: '/a', count: 5, memory: '2 GiB' })).toEqual({ libraryDir: '/a', count: 5, memory: 2 * 1024 ** 3 });
    expect(parseConfig(section, 'p', { libraryDir: '/a', memory: '2 GB' }).memory).toBe(2e9);
  });

  it('suggests only near misses', () => {
    expect(suggest('libaryDir', ['libraryDir', 'nodeDiskDir'])).toBe('libraryDir');
    expect(suggest('librarydir', ['libraryDir'])).toBe('libraryDir');
    expect(suggest('fooBar', ['libraryDir', 'nodeDiskDir'])).toBeUndefined();
  });

  it('reads local paths with ~/ and checks that files exist when parsed', () => {
    expect(localPath.parse('~/.ssh/id')).toMatch(/\/\.ssh\/id$/);
    expect(localPath.safeParse('.ssh/id').success).toBe(false);
    expect(readableFile.parse(KEY)).toBe(KEY);
    expect(readableFile.safeParse(join(dir, 'missing')).error?.issues[0]?.message).toBe(`${join(dir, 'missing')} does not exist`);
    expect(readableFile.safeParse(dir).error?.issues[0]?.message).toBe(`${dir} is not a file`);
  });
});

describe('secretFromEnv', () => {
  it('reads own environment variables only, never Object.prototype members', () => {
    expect(secretFromEnv('x.passwordEnv', 'PROVKIT_TEST_PASSWORD', { PROVKIT_TEST_PASSWORD: 's3cret' }).reveal()).toBe('s3cret');
    for (const name of ['hasOwnProperty', '__proto__', 'constructor', 'toString']) {
      expect(refusal(() => secretFromEnv('x.passwordEnv', name, {})).message).toBe(`Invalid x.passwordEnv: environment variable ${name} is not set`);
    }
    const env = { ...process.env };
    expect(refusal(() => secretFromEnv('x.passwordEnv', 'hasOwnProperty', env)).field).toBe('x.passwordEnv');
    expect(refusal(() => secretFromEnv('x.passwordEnv', 'EMPTY', { EMPTY: '' })).field).toBe('x.passwordEnv');
  });
});
