/**
 * The published JSON Schema of the configuration file: made from the modules' own schemas,
 * committed as shipped (regenerate with `provkit config schema > packages/cli/config.schema.json`),
 * and accepting every example configuration the docs show.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkConfig } from './config.ts';
import { configJsonSchema } from './config-json-schema.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const shipped = JSON.parse(readFileSync(join(root, 'packages', 'cli', 'config.schema.json'), 'utf8')) as Record<string, unknown>;
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(shipped);

/** Every whole configuration file the docs show: `docs/config-examples/*.yaml` and ```yaml blocks with a provisioner section. */
function documentedConfigs(): Array<{ where: string; config: unknown }> {
  const found: Array<{ where: string; config: unknown }> = [];
  const examples = join(root, 'docs', 'config-examples');
  for (const file of readdirSync(examples).filter((name) => name.endsWith('.yaml'))) found.push({ where: `docs/config-examples/${file}`, config: parse(readFileSync(join(examples, file), 'utf8')) });
  const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((file) => file.endsWith('.md')).map((file) => join('docs', file))];
  for (const page of pages) {
    const text = readFileSync(join(root, page), 'utf8');
    [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].forEach((match, index) => {
      if (/^provisioner:/m.test(match[1]!)) found.push({ where: `${page} yaml block ${index + 1}`, config: parse(match[1]!) });
    });
  }
  return found;
}

describe('the configuration JSON Schema', () => {
  it('is the one the modules schemas make, as shipped in @provkit/cli', () => {
    expect(shipped).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });

  it('accepts every documented example configuration, which the CLI accepts too', () => {
    const configs = documentedConfigs();
    expect(configs.map(({ where }) => where)).toEqual(expect.arrayContaining(['docs/config-examples/kvm-linux.yaml', 'docs/config-examples/esx-api-windows.yaml', 'docs/cli.md yaml block 1']));
    for (const { where, config } of configs) {
      expect(validate(config) ? [] : validate.errors, where).toEqual([]);
      expect(() => checkConfig(config), where).not.toThrow();
    }
  });

  it('refuses what the modules refuse: unknown keys, wrong types, another module\'s kind', () => {
    const base = { kind: 'kvm', host: 'local', libraryDir: '/a', nodeDiskDir: '/b' };
    expect(validate({ provisioner: base })).toBe(true);
    expect(validate({ provisioner: { ...base, libaryDir: '/a' } })).toBe(false);
    expect(validate({ provisioner: { ...base, bootTimeoutMs: 'soon' } })).toBe(false);
    expect(validate({ provisioner: { ...base, kind: 'esx' } })).toBe(false);
    expect(validate({ provisioner: base, fooBar: 1 })).toBe(false);
    expect(validate({ provisioner: base, os: { kind: 'linux', privateKeyPath: '/id', knownHostsPath: '/kh', rootPasswordEnv: 'NOT A NAME' } })).toBe(false);
  });
});
