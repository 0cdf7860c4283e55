import { readFileSync } from 'node:fs';
import { ensureLabService, type SlapdLabState } from '@provkit/lab';
import { ProvkitError, Secret, createEmitter, type WarningEvent } from '@provkit/core';
import { TemplateMode, type NewTemplate, type PoolRecord } from '@provkit/lean-provisioning';
import { inventorySuite, type InventoryFixture } from '@provkit/conformance';
import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LdapInventory, ldapFilter, type LdapInventoryOptions } from '../src/index.ts';
import { LdapSession } from '../src/ldap-session.ts';
import { swapTemplateMode } from '../src/mode-swap.ts';

let lab: SlapdLabState;
let password: string;
let admin: Client;

beforeAll(async () => {
  lab = await ensureLabService<SlapdLabState>('slapd');
  password = readFileSync(lab.passwordFile, 'utf8');
  // A second, raw connection plays the hand edits and reads the suite needs.
  admin = new Client({ url: lab.url });
  await admin.startTLS({ ca: readFileSync(lab.caFile, 'utf8') });
  await admin.bind(lab.bindDN, password);
});

afterAll(async () => {
  await admin?.unbind();
});

/** StartTLS verified with the lab CA, as a careful deployment connects. */
function options(overrides: Partial<LdapInventoryOptions> = {}): LdapInventoryOptions {
  return { url: lab.url, bindDN: lab.bindDN, password: Secret.of(password), baseDN: lab.baseDN, tls: { startTls: true, caFile: lab.caFile }, ...overrides };
}

function machineDn(id: string): string {
  return `sstVirtualMachine=${id},ou=virtual machines,ou=virtualization,ou=services,${lab.baseDN}`;
}

async function rawMode(id: string): Promise<string | undefined> {
  const { searchEntries } = await admin.search(machineDn(id), { scope: 'base', attributes: ['sstVirtualMachineMode'] });
  // ldapts lists a requested attribute the entry lacks as an empty array.
  const value = searchEntries[0]?.sstVirtualMachineMode;
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  if (values.length > 1) throw new Error(`sstVirtualMachineMode has ${values.length} values`);
  return values.length === 0 ? undefined : String(values[0]);
}

const fixture = (overrides: () => Partial<LdapInventoryOptions>) => async (): Promise<InventoryFixture> => ({
  inventory: new LdapInventory(options(overrides())),
  corruptTemplateMode: async (id, mode) => {
    await admin.modify(machineDn(id), new Change({ operation: 'replace', modification: new Attribute({ type: 'sstVirtualMachineMode', values: mode === undefined ? [] : [mode] }) }));
  },
  rawTemplateMode: rawMode,
});

inventorySuite('LdapInventory against slapd with sst.schema (StartTLS, verified with the lab CA)', { describe, it }, fixture(() => ({})));
inventorySuite('LdapInventory over ldaps:// (verified with the lab CA)', { describe, it }, fixture(() => ({ url: lab.ldapsUrl, tls: { caFile: lab.caFile } })));

function newTemplate(pool: PoolRecord): NewTemplate {
  return {
    pool: pool.id,
    node: 'kvm-host-1',
    profile: 'debian12-small',
    hardware: { cpus: 2, memoryBytes: 268_435_456, diskBytes: 16_106_127_360 },
    os: { operatingSystem: 'Linux', type: 'Debian', version: '12' },
    clockOffset: 'utc',
  };
}

describe('LdapInventory: stoney cloud layout and attributes', () => {
  it('stores a template under ou=virtual machines with sst.schema attributes and a disk entry', async () => {
    const inventory = new LdapInventory(options());
    try {
      const pool = await inventory.createPool({ displayName: 'layout pool', type: 'template' });
      const template = await inventory.createTemplate(newTemplate(pool));
      const { searchEntries } = await admin.search(machineDn(template.id), { scope: 'sub', attributes: ['*'] });
      const machine = searchEntries.find((entry) => entry.dn.startsWith('sstVirtualMachine='))!;
      const disk = searchEntries.find((entry) => entry.dn.startsWith('sstDisk='))!;
      expect(machine.dn).toBe(machineDn(template.id));
      expect(machine.objectClass).toEqual(expect.arrayContaining(['sstVirtualizationVirtualMachine', 'sstOperatingSystemObjectClass']));
      expect(machine).toMatchObject({
        sstVirtualMachine: template.id,
        sstVirtualMachineMode: 'first installation',
        sstVirtualMachineType: 'template',
        sstVirtualMachineSubType: 'VM-Template',
        sstVirtualMachinePool: pool.id,
        sstMemory: '268435456',
        sstVCPU: '2',
        sstNode: 'kvm-host-1',
        sstClockOffset: 'utc',
        sstOperatingSystem: 'Linux',
      });
      expect(disk.dn).toBe(`sstDisk=vda,ou=devices,${machineDn(template.id)}`);
      expect(disk).toMatchObject({ sstVolumeCapacity: '16106127360', sstDevice: 'disk', sstTargetBus: 'virtio' });
      const { searchEntries: pools } = await admin.search(`sstVirtualMachinePool=${pool.id},ou=virtual machine pools,ou=virtualization,ou=services,${lab.baseDN}`, { scope: 'base' });
      expect(pools[0]).toMatchObject({ objectClass: expect.arrayContaining(['sstVirtualMachines']), sstVirtualMachinePoolType: 'template', sstDisplayName: 'layout pool' });
    } finally {
      await inventory.close();
    }
  });

  it('of two orchestrators (two connections) changing one mode at once, exactly one wins, every round', async () => {
    const first = new LdapInventory(options());
    const second = new LdapInventory(options());
    try {
      const pool = await first.createPool({ displayName: 'race pool', type: 'template' });
      for (let round = 0; round < 10; round++) {
        const template = await first.createTemplate(newTemplate(pool));
        await first.setTemplateMode(template.id, { from: TemplateMode.FirstInstallation, to: TemplateMode.ReadyForUse });
        // Both read the template as ready for use before either writes.
        expect((await second.getTemplate(template.id)).mode).toBe('ready for use');
        const results = await Promise.allSettled([
          first.setTemplateMode(template.id, { from: TemplateMode.ReadyForUse, to: TemplateMode.Maintenance }),
          second.setTemplateMode(template.id, { from: TemplateMode.ReadyForUse, to: TemplateMode.DoNotUse }),
        ]);
        const won = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
        const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(ProvkitError.hasCode(lost[0], 'CONFLICT')).toBe(true);
        expect(await rawMode(template.id)).toBe(won[0]!.mode);
      }
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('of two writers that both read the old mode and both send the modify, the server takes exactly one, every round', async () => {
    // Past the pre-read: each writer has read "ready for use" and sends its delete+add modify
    // with that expected value. Which one the server applies first is up to it; the other's
    // delete must find no such value (result 16) and come back as ConflictError.
    const inventory = new LdapInventory(options());
    const writers = [new LdapSession(options()), new LdapSession(options())];
    const wanted = [TemplateMode.Maintenance, TemplateMode.DoNotUse] as const;
    try {
      const pool = await inventory.createPool({ displayName: 'cas pool', type: 'template' });
      for (let round = 0; round < 10; round++) {
        const template = await inventory.createTemplate(newTemplate(pool));
        await inventory.setTemplateMode(template.id, { from: TemplateMode.FirstInstallation, to: TemplateMode.ReadyForUse });
        // Both writers read the same old mode, each on its own connection, before either writes.
        const read = await Promise.all(writers.map((session) => session.search(machineDn(template.id), { scope: 'base', filter: ldapFilter`(objectClass=sstVirtualizationVirtualMachine)`, attributes: ['sstVirtualMachineMode'] })));
        expect(read.map((entries) => entries[0]?.sstVirtualMachineMode)).toEqual(['ready for use', 'ready for use']);
        const results = await Promise.allSettled(
          writers.map((session, index) => swapTemplateMode(session, machineDn(template.id), template.id, TemplateMode.ReadyForUse, wanted[index]!, undefined)),
        );
        const winners = results.flatMap((result, index) => (result.status === 'fulfilled' ? [index] : []));
        const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as ProvkitError] : []));
        expect(winners).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(ProvkitError.hasCode(lost[0], 'CONFLICT')).toBe(true);
        // The refusal came from the server's modify, not from a read.
        expect((lost[0]!.cause as { cause?: { code?: unknown } }).cause?.code).toBe(16);
        expect(await rawMode(template.id)).toBe(wanted[winners[0]!]);
      }
    } finally {
      await inventory.close();
      for (const session of writers) await session.close();
    }
  });

  it('a writer whose expected mode went stale after its read changes nothing and gets ConflictError', async () => {
    const inventory = new LdapInventory(options());
    const stale = new LdapSession(options());
    try {
      const pool = await inventory.createPool({ displayName: 'stale pool', type: 'template' });
      const template = await inventory.createTemplate(newTemplate(pool));
      await inventory.setTemplateMode(template.id, { from: TemplateMode.FirstInstallation, to: TemplateMode.ReadyForUse });
      // Read by the stale writer, then changed by the other before the stale writer's modify.
      expect((await inventory.getTemplate(template.id)).mode).toBe(TemplateMode.ReadyForUse);
      await inventory.setTemplateMode(template.id, { from: TemplateMode.ReadyForUse, to: TemplateMode.Maintenance });
      await expect(swapTemplateMode(stale, machineDn(template.id), template.id, TemplateMode.ReadyForUse, TemplateMode.DoNotUse, undefined)).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await rawMode(template.id)).toBe('maintenance mode');
    } finally {
      await inventory.close();
      await stale.close();
    }
  });

  it('reports an entry it cannot read as InvalidEntryError naming the attribute', async () => {
    const inventory = new LdapInventory(options());
    try {
      const pool = await inventory.createPool({ displayName: 'broken pool', type: 'template' });
      const template = await inventory.createTemplate(newTemplate(pool));
      await admin.modify(machineDn(template.id), new Change({ operation: 'replace', modification: new Attribute({ type: 'sstClockOffset', values: ['variable'] }) }));
      try {
        await expect(inventory.getTemplate(template.id)).rejects.toMatchObject({ code: 'INVALID_ENTRY', field: 'sstClockOffset', entry: machineDn(template.id) });
        await expect(inventory.listTemplates()).rejects.toMatchObject({ code: 'INVALID_ENTRY' });
      } finally {
        // A broken entry fails every listing: remove it so other tests see a sound directory.
        await inventory.deleteTemplate(template.id);
      }
    } finally {
      await inventory.close();
    }
  });
});

describe('LdapInventory: connections, credentials and TLS', () => {
  it('gives ConnectionError when nothing listens', async () => {
    const inventory = new LdapInventory(options({ url: 'ldap://127.0.0.1:1', connectTimeoutMs: 2_000 }));
    await expect(inventory.listPools()).rejects.toMatchObject({ code: 'CONNECTION_FAILED', isRetryable: true });
    await inventory.close();
  });

  it('gives AuthenticationError for a wrong password, without the password in the message', async () => {
    const inventory = new LdapInventory(options({ password: Secret.of('wrong-password-123') }));
    const error = await inventory.listPools().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'AUTHENTICATION_FAILED' });
    expect(String((error as Error).message)).not.toContain('wrong-password-123');
    await inventory.close();
  });

  it('stops waiting when the signal fires while a request is in flight, and stays usable', async () => {
    const inventory = new LdapInventory(options());
    const controller = new AbortController();
    const pending = inventory.listPools({ signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Array.isArray(await inventory.listPools())).toBe(true);
    await inventory.close();
  });

  it('works over ldaps:// with the lab CA', async () => {
    const inventory = new LdapInventory(options({ url: lab.ldapsUrl, tls: { caFile: lab.caFile } }));
    expect(Array.isArray(await inventory.listPools())).toBe(true);
    await inventory.close();
  });

  it('works over StartTLS with the lab CA', async () => {
    const inventory = new LdapInventory(options());
    const pool = await inventory.createPool({ displayName: 'tls pool', type: 'template' });
    expect((await inventory.getPool(pool.id)).displayName).toBe('tls pool');
    await inventory.close();
  });

  it('verifies the server certificate by default: an unknown CA is a ConnectionError', async () => {
    const ldaps = new LdapInventory(options({ url: lab.ldapsUrl, tls: {} }));
    await expect(ldaps.listPools()).rejects.toMatchObject({ code: 'CONNECTION_FAILED', message: expect.stringMatching(/certificate/i) });
    await ldaps.close();
    const startTls = new LdapInventory(options({ tls: { startTls: true } }));
    await expect(startTls.listPools()).rejects.toMatchObject({ code: 'CONNECTION_FAILED', message: expect.stringMatching(/certificate/i) });
    await startTls.close();
  });

  it('refuses a certificate for another name', async () => {
    const inventory = new LdapInventory(options({ tls: { startTls: true, caFile: lab.caFile, servername: 'ldap.example.org' } }));
    await expect(inventory.listPools()).rejects.toMatchObject({ code: 'CONNECTION_FAILED' });
    await inventory.close();
  });

  it('skips verification only with insecureSkipTlsVerify, and warns on the connection without the password', async () => {
    const events = createEmitter();
    const warnings: WarningEvent[] = [];
    events.on('warning', (event) => warnings.push(event));
    const inventory = new LdapInventory(options({ url: lab.ldapsUrl, tls: { insecureSkipTlsVerify: true }, events }));
    expect(inventory.events).toBe(events);
    expect(Array.isArray(await inventory.listPools())).toBe(true);
    await inventory.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('insecureSkipTlsVerify');
    expect(JSON.stringify(warnings)).not.toContain(password);
  });

  it('refuses a simple bind over plain ldap:// before connecting, and takes it with allowPlaintextBind, warning', async () => {
    expect(() => new LdapInventory(options({ tls: undefined }))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'tls' }));
    const inventory = new LdapInventory(options({ tls: undefined, allowPlaintextBind: true }));
    const warnings: WarningEvent[] = [];
    inventory.events.on('warning', (event) => warnings.push(event));
    expect(Array.isArray(await inventory.listPools())).toBe(true);
    await inventory.close();
    expect(warnings).toEqual([expect.objectContaining({ operation: 'ldap-connect', message: expect.stringMatching(/clear text/) })]);
    expect(JSON.stringify(warnings)).not.toContain(password);
  });
});
