import assert from 'node:assert/strict';
import { ProvkitError, type ProvkitErrorCode } from '@provkit/core';
import { TemplateMode, type Inventory, type NewTemplate, type NewVm, type PoolRecord } from '@provkit/lean-provisioning';

/** One inventory under test, with back doors the suite needs to set up broken entries. */
export interface InventoryFixture {
  inventory: Inventory;
  /** Stores a raw mode (or removes it) behind the inventory's back, as a hand edit would. */
  corruptTemplateMode(id: string, mode: string | undefined): Promise<void>;
  /** Reads the mode as stored, without healing. */
  rawTemplateMode(id: string): Promise<string | undefined>;
  /** Releases what the fixture holds. */
  dispose?(): Promise<void>;
}

/** The test functions the suite registers with (vitest's, node:test's, mocha's). */
export interface SuiteFunctions {
  describe: (name: string, body: () => void) => void;
  it: (name: string, body: () => Promise<void>) => void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function newTemplate(pool: PoolRecord, overrides: Partial<NewTemplate> = {}): NewTemplate {
  return {
    pool: pool.id,
    node: 'kvm-host-1',
    profile: 'debian12-small',
    hardware: { cpus: 2, memoryBytes: 268_435_456, diskBytes: 16_106_127_360 },
    os: { operatingSystem: 'Linux', type: 'Debian', version: '12' },
    clockOffset: 'utc',
    ...overrides,
  };
}

function newVm(pool: PoolRecord, template: string, overrides: Partial<NewVm> = {}): NewVm {
  return { template, pool: pool.id, node: 'kvm-host-2', type: 'Server', softwareStack: 'LAMP', environment: 'production', reseller: '4000000', customer: '4000001', ...overrides };
}

async function rejectsWith(promise: Promise<unknown>, code: ProvkitErrorCode, check?: (error: ProvkitError) => void): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(ProvkitError.hasCode(error, code), `expected ${code}, got ${String(error)}`);
    check?.(error);
    return true;
  });
}

/**
 * The behaviour every {@link Inventory} keeps, written once and run against each
 * implementation (in memory, LDAP, third-party) with a factory making a fresh fixture.
 */
export function inventorySuite(name: string, test: SuiteFunctions, factory: () => Promise<InventoryFixture>): void {
  const { describe, it } = test;
  const withFixture = (body: (fixture: InventoryFixture, pool: PoolRecord) => Promise<void>) => async () => {
    const fixture = await factory();
    try {
      const pool = await fixture.inventory.createPool({ displayName: 'suite templates', type: 'template' });
      await body(fixture, pool);
    } finally {
      await fixture.inventory.close();
      await fixture.dispose?.();
    }
  };

  describe(`inventory suite: ${name}`, () => {
    it('creates pools with generated UUIDs and reads them back', withFixture(async ({ inventory }, pool) => {
      assert.match(pool.id, UUID);
      assert.deepEqual(await inventory.getPool(pool.id), pool);
      assert.ok((await inventory.listPools()).some((listed) => listed.id === pool.id));
    }));

    it('creates a template in "first installation" with a UUID and a readable display name', withFixture(async ({ inventory }, pool) => {
      const template = await inventory.createTemplate(newTemplate(pool));
      assert.match(template.id, UUID);
      assert.equal(template.mode, 'first installation');
      assert.equal(template.displayName, `template-${template.id.slice(0, 8)}`);
      const read = await inventory.getTemplate(template.id);
      assert.deepEqual(read, template);
      assert.deepEqual(read.hardware, { cpus: 2, memoryBytes: 268_435_456, diskBytes: 16_106_127_360 });
      assert.deepEqual(read.os, { operatingSystem: 'Linux', type: 'Debian', version: '12' });
      assert.equal(read.clockOffset, 'utc');
    }));

    it('keeps a given display name, including LDAP-special characters', withFixture(async ({ inventory }, pool) => {
      const displayName = 'Debian 12, "small" (a+b=c; #1 \\ <x>)*';
      const template = await inventory.createTemplate(newTemplate(pool, { displayName }));
      assert.equal((await inventory.getTemplate(template.id)).displayName, displayName);
    }));

    it('refuses bad input with a typed error naming the field and writes nothing', withFixture(async ({ inventory }, pool) => {
      const before = (await inventory.listTemplates()).length;
      await rejectsWith(inventory.createTemplate(newTemplate(pool, { hardware: { cpus: 0, memoryBytes: 1, diskBytes: 1 } })), 'INVALID_INPUT', (error) => assert.equal((error as unknown as { field: string }).field, 'template.hardware.cpus'));
      await rejectsWith(inventory.createTemplate(newTemplate(pool, { node: 'bad node;rm' })), 'INVALID_INPUT', (error) => assert.equal((error as unknown as { field: string }).field, 'template.node'));
      await rejectsWith(inventory.getTemplate('*)(objectClass=*'), 'INVALID_INPUT');
      assert.equal((await inventory.listTemplates()).length, before);
    }));

    it('throws NotFoundError for a missing template, VM or pool', withFixture(async ({ inventory }) => {
      const missing = '00000000-0000-4000-8000-000000000000';
      await rejectsWith(inventory.getTemplate(missing), 'NOT_FOUND');
      await rejectsWith(inventory.getVm(missing), 'NOT_FOUND');
      await rejectsWith(inventory.getPool(missing), 'NOT_FOUND');
    }));

    it('changes modes by compare-and-swap: a stale "from" is a ConflictError and changes nothing', withFixture(async ({ inventory }, pool) => {
      const template = await inventory.createTemplate(newTemplate(pool));
      const released = await inventory.setTemplateMode(template.id, { from: TemplateMode.FirstInstallation, to: TemplateMode.ReadyForUse });
      assert.equal(released.mode, 'ready for use');
      await rejectsWith(inventory.setTemplateMode(template.id, { from: TemplateMode.FirstInstallation, to: TemplateMode.DoNotUse }), 'CONFLICT');
      assert.equal((await inventory.getTemplate(template.id)).mode, 'ready for use');
    }));

    it('refuses an illegal mode change with InvalidStateError', withFixture(async ({ inventory }, pool) => {
      const template = await inventory.createTemplate(newTemplate(pool));
      await rejectsWith(inventory.setTemplateMode(template.id, { from: TemplateMode.FirstInstallation, to: TemplateMode.Maintenance }), 'INVALID_STATE');
      assert.equal((await inventory.getTemplate(template.id)).mode, 'first installation');
    }));

    it('of two concurrent mode changes from the same mode, exactly one wins', withFixture(async ({ inventory }, pool) => {
      const template = await inventory.createTemplate(newTemplate(pool));
      await inventory.setTemplateMode(template.id, { from: TemplateMode.FirstInstallation, to: TemplateMode.ReadyForUse });
      const results = await Promise.allSettled([
        inventory.setTemplateMode(template.id, { from: TemplateMode.ReadyForUse, to: TemplateMode.Maintenance }),
        inventory.setTemplateMode(template.id, { from: TemplateMode.ReadyForUse, to: TemplateMode.DoNotUse }),
      ]);
      const won = results.filter((result) => result.status === 'fulfilled');
      const lost = results.filter((result) => result.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.ok(ProvkitError.hasCode(lost[0]!.reason, 'CONFLICT'), `loser failed with ${String(lost[0]!.reason)}`);
      assert.equal((await inventory.getTemplate(template.id)).mode, won[0]!.value.mode);
    }));

    it('treats a template without a mode as "do not use" and writes that back', withFixture(async (fixture, pool) => {
      const { inventory } = fixture;
      const template = await inventory.createTemplate(newTemplate(pool));
      await fixture.corruptTemplateMode(template.id, undefined);
      assert.equal(await fixture.rawTemplateMode(template.id), undefined);
      assert.equal((await inventory.getTemplate(template.id)).mode, 'do not use');
      assert.equal(await fixture.rawTemplateMode(template.id), 'do not use');
    }));

    it('heals an unknown stored mode to "do not use" when listing', withFixture(async (fixture, pool) => {
      const { inventory } = fixture;
      const template = await inventory.createTemplate(newTemplate(pool));
      await fixture.corruptTemplateMode(template.id, 'bogus');
      const listed = (await inventory.listTemplates()).find((candidate) => candidate.id === template.id);
      assert.equal(listed?.mode, 'do not use');
      assert.equal(await fixture.rawTemplateMode(template.id), 'do not use');
      assert.ok((await inventory.listTemplates({ mode: TemplateMode.DoNotUse })).some((candidate) => candidate.id === template.id));
    }));

    it('creates VMs only from a "ready for use" template, copying its hardware and image', withFixture(async ({ inventory }, pool) => {
      const vmPool = await inventory.createPool({ displayName: 'suite VMs', type: 'persistent' });
      const template = await inventory.createTemplate(newTemplate(pool));
      await rejectsWith(inventory.createVm(newVm(vmPool, template.id)), 'INVALID_STATE');
      await inventory.setTemplateImage(template.id, 'debian12-small-v1');
      await inventory.setTemplateMode(template.id, { from: TemplateMode.FirstInstallation, to: TemplateMode.ReadyForUse });
      const vm = await inventory.createVm(newVm(vmPool, template.id));
      assert.match(vm.id, UUID);
      assert.equal(vm.displayName, `vm-${vm.id.slice(0, 8)}`);
      assert.equal(vm.kind, 'persistent');
      assert.equal(vm.image, 'debian12-small-v1');
      assert.deepEqual(vm.hardware, template.hardware);
      assert.deepEqual(await inventory.getVm(vm.id), vm);
      assert.deepEqual(
        { pool: vm.pool, node: vm.node, type: vm.type, softwareStack: vm.softwareStack, environment: vm.environment, reseller: vm.reseller, customer: vm.customer },
        { pool: vmPool.id, node: 'kvm-host-2', type: 'Server', softwareStack: 'LAMP', environment: 'production', reseller: '4000000', customer: '4000001' },
      );
      assert.deepEqual((await inventory.listVms({ template: template.id })).map((listed) => listed.id), [vm.id]);
      await inventory.setTemplateMode(template.id, { from: TemplateMode.ReadyForUse, to: TemplateMode.Maintenance });
      await rejectsWith(inventory.createVm(newVm(vmPool, template.id)), 'INVALID_STATE');
      assert.equal((await inventory.listVms({ template: template.id })).length, 1);
    }));

    it('refuses to delete a template that still has VMs; deleting what is gone succeeds', withFixture(async ({ inventory }, pool) => {
      const template = await inventory.createTemplate(newTemplate(pool));
      await inventory.setTemplateMode(template.id, { from: TemplateMode.FirstInstallation, to: TemplateMode.ReadyForUse });
      const { softwareStack: _stack, environment: _environment, ...bare } = newVm(pool, template.id);
      const vm = await inventory.createVm(bare);
      assert.equal(vm.softwareStack, undefined);
      await rejectsWith(inventory.deleteTemplate(template.id), 'INVALID_STATE');
      await inventory.deleteVm(vm.id);
      await inventory.deleteVm(vm.id);
      await inventory.deleteTemplate(template.id);
      await inventory.deleteTemplate(template.id);
      await rejectsWith(inventory.getTemplate(template.id), 'NOT_FOUND');
    }));

    it('honours an aborted signal', withFixture(async ({ inventory }, pool) => {
      const controller = new AbortController();
      controller.abort();
      await rejectsWith(inventory.createTemplate(newTemplate(pool), { signal: controller.signal }), 'ABORTED');
      await rejectsWith(inventory.listTemplates({ signal: controller.signal }), 'ABORTED');
    }));
  });
}
