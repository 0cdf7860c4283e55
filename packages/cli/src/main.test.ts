import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.ts';
import { checkConfig, nodeFromConfig } from './config.ts';
import { EXIT } from './exit-codes.ts';
import { parseBytes } from './units.ts';

describe('provkit command line', () => {
  it('prints usage with --help (exit 0) and without a command (exit 2)', async () => {
    expect(await runCli(['--help'])).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining('usage: provkit') });
    expect((await runCli([])).code).toBe(EXIT.usage);
  });

  it('answers an unknown command or a missing config with exit 2 and a JSON error under --json', async () => {
    const unknown = await runCli(['frobnicate', '--json']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(JSON.parse(unknown.stdout)).toEqual({ error: { code: 'INVALID_INPUT', message: expect.stringContaining('frobnicate'), retryable: false } });
    const missing = await runCli(['images', '--config', '/nonexistent/provkit.yaml']);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain('no configuration file at /nonexistent/provkit.yaml');
  });

  it('refuses a configuration without a provisioner kind, naming the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'provkit-cli-'));
    const file = join(dir, 'provkit.yaml');
    await writeFile(file, 'provisioner: { host: x }\n');
    const result = await runCli(['images', '--config', file]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('provisioner.kind');
  });

  it('reads nodes from the configuration and lets --address override them', () => {
    const config = checkConfig({ provisioner: { kind: 'kvm' }, nodes: { 'web-1': { address: { host: '192.0.2.5', port: 2201 } } } });
    expect(nodeFromConfig(config, 'web-1')).toEqual({ name: 'web-1', address: { host: '192.0.2.5', port: 2201 } });
    expect(nodeFromConfig(config, 'web-1', '127.0.0.1:2222')).toEqual({ name: 'web-1', address: { host: '127.0.0.1', port: 2222 } });
    expect(nodeFromConfig(config, 'other')).toEqual({ name: 'other' });
  });

  it('parses sizes with binary units', () => {
    expect(parseBytes('--memory', '512MiB')).toBe(512 * 1024 ** 2);
    expect(parseBytes('--memory', '1 GiB')).toBe(1024 ** 3);
    expect(parseBytes('--disk', '2g')).toBe(2 * 1024 ** 3);
    expect(() => parseBytes('--memory', 'lots')).toThrow(/--memory/);
  });
});
