import { InvalidInputError, Secret } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { checkJobData, jobDataFromSubmission } from './job-payload.ts';

describe('jobDataFromSubmission', () => {
  it('keeps a valid load as JSON job data with a fingerprint', () => {
    const data = jobDataFromSubmission({ host: 'esx-a', operation: 'load', node: { name: 'web-1', address: { host: '192.0.2.5', port: 22 } }, image: 'base-v1', options: { size: { cpus: 2, memoryBytes: 1024 } } });
    expect(data).toMatchObject({ v: 1, host: 'esx-a', operation: 'load', node: { name: 'web-1', address: { host: '192.0.2.5', port: 22 } }, image: 'base-v1', options: { size: { cpus: 2, memoryBytes: 1024 } } });
    expect(data.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(JSON.stringify(data))).toEqual(data);
  });

  it('gives the same fingerprint whatever the key order, another for another request', () => {
    const a = jobDataFromSubmission({ host: 'h', operation: 'load', node: { name: 'n' }, image: 'i-v1', options: { a: 1, b: 2 } });
    const b = jobDataFromSubmission({ host: 'h', operation: 'load', node: { name: 'n' }, image: 'i-v1', options: { b: 2, a: 1 } });
    const c = jobDataFromSubmission({ host: 'h', operation: 'load', node: { name: 'n' }, image: 'i-v2', options: { b: 2, a: 1 } });
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });

  it.each([
    [{ host: 'bad host', operation: 'unload', node: { name: 'n' } }, 'host'],
    [{ host: 'h', operation: 'format-disk', node: { name: 'n' } }, 'operation'],
    [{ host: 'h', operation: 'unload' }, 'node'],
    [{ host: 'h', operation: 'unload', node: { name: 'n;reboot' } }, 'node.name'],
    [{ host: 'h', operation: 'unload', node: { name: 'n', address: { host: 'a', port: 70000 } } }, 'node.address.port'],
    [{ host: 'h', operation: 'unload', node: { name: 'n', colour: 'red' } }, 'node.colour'],
    [{ host: 'h', operation: 'load', node: { name: 'n' }, image: 'no-revision' }, 'image'],
    [{ host: 'h', operation: 'listImages', image: 'a-v1' }, 'image'],
    [{ host: 'h', operation: 'unload', node: { name: 'n' }, options: { signal: 1 } }, 'options.signal'],
    [{ host: 'h', operation: 'unload', node: { name: 'n' }, options: { when: new Date() } }, 'options.when'],
    [{ host: 'h', operation: 'unload', node: { name: 'n' }, idempotencyKey: 'a:b' }, 'idempotencyKey'],
    [{ host: 'h', operation: 'unload', node: { name: 'n' }, attempts: 0 }, 'attempts'],
  ])('refuses %j naming %s before anything is enqueued', (submission, field) => {
    const error = (() => {
      try {
        jobDataFromSubmission(submission as never);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe(field);
  });

  it('refuses a password in clear at any depth, and a Secret, without echoing it', () => {
    const submissions = [
      { host: 'h', operation: 'setPassword', node: { name: 'n' }, options: { username: 'root', password: 'hunter2' } },
      { host: 'h', operation: 'load', node: { name: 'n' }, image: 'a-v1', options: { customization: { users: [{ username: 'u', password: 'hunter2' }] } } },
      { host: 'h', operation: 'createUser', node: { name: 'n' }, options: { username: 'u', passwordRef: Secret.of('hunter2') } },
      { host: 'h', operation: 'createUser', node: { name: 'n' }, options: { username: 'u', extra: Secret.of('hunter2') } },
    ];
    for (const submission of submissions) {
      let message = '';
      expect(() => {
        try {
          jobDataFromSubmission(submission as never);
        } catch (error) {
          message = (error as Error).message;
          throw error;
        }
      }).toThrow(InvalidInputError);
      expect(message).not.toContain('hunter2');
    }
  });

  it('lets a secret through by reference only', () => {
    const data = jobDataFromSubmission({ host: 'h', operation: 'setPassword', node: { name: 'n' }, options: { username: 'root', passwordRef: 'guest-admin' } });
    expect(data.options).toEqual({ username: 'root', passwordRef: 'guest-admin' });
  });
});

describe('checkJobData', () => {
  it('accepts what the client stored and refuses tampered data', () => {
    const data = jobDataFromSubmission({ host: 'h', operation: 'unload', node: { name: 'n' } });
    expect(checkJobData(JSON.parse(JSON.stringify(data)))).toEqual(data);
    expect(() => checkJobData({ ...data, node: { name: 'other' } })).toThrow(/fingerprint/);
    expect(() => checkJobData({ something: 'else' })).toThrow(InvalidInputError);
  });
});
