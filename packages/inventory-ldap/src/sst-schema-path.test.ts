import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TemplateRecord, VmRecord } from '@provkit/lean-provisioning';
import { describe, expect, it } from 'vitest';
import { sstSchemaPath } from './index.ts';
import { diskEntry, poolEntry, templateEntry, vmEntry } from './stoney-entries.ts';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every `NAME '...'` an attribute type or object class of the schema defines. */
function definedNames(schema: string): Set<string> {
  return new Set([...schema.matchAll(/^(?:attributetype|objectclass)\s*\([^)]*?NAME\s+'([^']+)'/gim)].map((match) => match[1]!));
}

const template: TemplateRecord = {
  id: '3f2a91c0-1111-4222-8333-444455556666',
  kind: 'template',
  displayName: 'Debian 12 small',
  pool: 'a0a0a0a0-1111-4222-8333-444455556666',
  node: 'kvm-host-1',
  profile: 'debian12-small',
  hardware: { cpus: 2, memoryBytes: 268_435_456, diskBytes: 16_106_127_360 },
  os: { operatingSystem: 'Linux', type: 'Debian', version: '12' },
  clockOffset: 'utc',
  mode: 'ready for use',
  image: 'debian12-small-v1',
};
const { profile: _profile, mode: _mode, ...machine } = template;
const vm: VmRecord = { ...machine, kind: 'persistent', template: template.id, type: 'Server', softwareStack: 'LAMP', environment: 'production', reseller: '4000000', customer: '4000001' };

describe('sstSchemaPath', () => {
  it('is the sst.schema inside this package', () => {
    expect(sstSchemaPath).toBe(join(packageRoot, 'schema', 'sst.schema'));
    expect(existsSync(sstSchemaPath)).toBe(true);
  });

  it('is what the package exports as "./sst.schema"', () => {
    const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; files: string[] };
    expect(join(packageRoot, manifest.exports['./sst.schema'] as string)).toBe(sstSchemaPath);
    expect(manifest.files).toContain('schema');
  });

  it('defines every sst attribute and object class the entries are written with', () => {
    const defined = definedNames(readFileSync(sstSchemaPath, 'utf8'));
    const entries = [templateEntry(template), vmEntry(vm), diskEntry(template), poolEntry({ id: template.pool, displayName: 'pool', type: 'dynamic' })];
    const used = new Set(entries.flatMap((entry) => [...Object.keys(entry), ...(entry.objectClass ?? [])]).filter((name) => name.startsWith('sst')));
    expect(used.size).toBeGreaterThan(20);
    expect([...used].filter((name) => !defined.has(name))).toEqual([]);
  });
});
