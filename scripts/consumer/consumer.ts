/**
 * A small consumer of the published packages, used by `scripts/check-consumer.ts`: the same
 * text is compiled as an ES module (`esm.mts`) and as CommonJS (`cjs.cts`, whose imports
 * become `require` calls), against the tarballs installed in an empty project, then run.
 * Everything it does is local: no host is contacted.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createEmitter, InvalidInputError, ProvkitError, Secret, sh, type WarningEvent } from '@provkit/core';
import { LocalRunner } from '@provkit/runners';
import { EXIT, parseBytes } from '@provkit/cli';
import { provisionerConformance } from '@provkit/conformance';
import { FleetRemoteError, jobDataFromSubmission, queueName, reconstructError, serializeError } from '@provkit/fleet';
import { escapeFilterValue, sstSchemaPath } from '@provkit/inventory-ldap';
import { LinuxOsModule } from '@provkit/os-linux';
import { WindowsOsModule } from '@provkit/os-windows';
import { EsxProvisioner } from '@provkit/provisioner-esx';
import { buildDomainXml, KvmProvisioner } from '@provkit/provisioner-kvm';

/** The error `action` throws (it must throw). */
function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

async function check(): Promise<string[]> {
  const facts: string[] = [];

  // core: a command through the quoting helper, secrets redacted, typed events and errors.
  const runner = new LocalRunner();
  const quoted = await runner.run(sh`printf %s ${"it's $HOME; quoted"}`);
  assert.equal(quoted.stdout, "it's $HOME; quoted");
  assert.equal(String(Secret.of('hunter2')), '[redacted]');
  assert.equal(JSON.stringify({ password: Secret.of('hunter2') }), '{"password":"[redacted]"}');
  const warnings: WarningEvent[] = [];
  const events = createEmitter();
  events.on('warning', (warning) => warnings.push(warning));
  events.emit('warning', { message: 'typed' });
  assert.deepEqual(warnings, [{ message: 'typed' }]);
  assert.ok(ProvkitError.isInstance(new InvalidInputError('field', 'bad')));
  facts.push('core quoted a command that runners ran locally, redacted a secret, emitted a typed event');

  // provisioners: bad input refused with a typed error before anything runs.
  const kvmError = thrown(() => new KvmProvisioner({ runner, libraryDir: 'relative', nodeDiskDir: '/var/lib/provkit/nodes' }));
  assert.ok(ProvkitError.hasCode(kvmError, 'INVALID_INPUT'), String(kvmError));
  const kvm = new KvmProvisioner({ runner, libraryDir: '/var/lib/provkit/images', nodeDiskDir: '/var/lib/provkit/nodes' });
  assert.equal(kvm.specificationVersion, 'v1');
  const domain = buildDomainXml({ name: 'web-1', type: 'qemu', cpus: 1, memoryBytes: 256 * 1024 * 1024, clock: 'utc', disks: [], nics: [] });
  assert.match(domain, /<name>web-1<\/name>/);
  assert.ok(ProvkitError.hasCode(thrown(() => new EsxProvisioner({})), 'INVALID_INPUT'));
  facts.push('kvm and esx refused bad settings with INVALID_INPUT, kvm built domain XML');

  // OS modules.
  assert.equal(new LinuxOsModule({ runnerFor: () => runner }).specificationVersion, 'v1');
  assert.equal(new WindowsOsModule({ runnerFor: () => runner }).os, 'windows');
  facts.push('linux and windows OS modules constructed');

  // inventory-ldap: the shipped schema and the escaper.
  assert.match(readFileSync(sstSchemaPath, 'utf8'), /NAME 'sstVirtualMachineMode'/);
  // The path the package exports is the file its ./sst.schema export names (run from the consumer's folder).
  assert.equal(createRequire(join(process.cwd(), 'consumer.js')).resolve('@provkit/inventory-ldap/sst.schema'), sstSchemaPath);
  assert.equal(escapeFilterValue('a*(b)'), 'a\\2a\\28b\\29');
  facts.push(`inventory-ldap's schema read from ${sstSchemaPath.slice(sstSchemaPath.indexOf('node_modules'))}`);

  // fleet: a submission checked before anything reaches Redis (none is contacted here), and
  // an error's round trip through its stored form keeps the code.
  const secretInJob = thrown(() => jobDataFromSubmission({ host: 'kvm-1', operation: 'setPassword', node: { name: 'web-1' }, options: { password: Secret.of('hunter2') } }));
  assert.ok(ProvkitError.hasCode(secretInJob, 'INVALID_INPUT'), String(secretInJob));
  assert.ok(!String(secretInJob).includes('hunter2'));
  const job = jobDataFromSubmission({ host: 'kvm-1', operation: 'load', node: { name: 'web-1' }, image: 'base-v1' });
  assert.equal(job.operation, 'load');
  assert.equal(queueName(job.host), 'host.kvm-1');
  const remote = reconstructError(serializeError(new InvalidInputError('node.name', 'bad')));
  assert.ok(remote instanceof FleetRemoteError && ProvkitError.hasCode(remote, 'INVALID_INPUT'));
  facts.push('fleet checked a submission (a secret refused) and rebuilt a typed error');

  // conformance and cli.
  assert.equal(typeof provisionerConformance, 'function');
  assert.equal(parseBytes('memory', '2GiB'), 2 * 1024 ** 3);
  assert.equal(EXIT.ok, 0);
  facts.push('conformance suites and cli helpers loaded');
  return facts;
}

const label = process.argv[2] ?? 'consumer';
check().then(
  (facts) => console.log(`${label}: ok (${facts.join('; ')})`),
  (error: unknown) => {
    console.error(`${label}: FAILED`, error);
    process.exitCode = 1;
  },
);
