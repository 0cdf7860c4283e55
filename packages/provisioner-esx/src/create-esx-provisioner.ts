import { ConfigSection, InvalidInputError, SshPool, sshTargetFromConfig, type ModuleFactoryContext, type SizeSpec } from '@provkit/core';
import { EsxProvisioner } from './esx-provisioner.ts';
import type { EsxProvisionerOptions } from './esx-options.ts';
import type { VimDriverOptions } from './vsphere/vim-driver.ts';
import type { VimTlsOptions } from './wire/tls-verification.ts';

/**
 * Builds an {@link EsxProvisioner} from the `provisioner:` section of a provkit configuration
 * file (the CLI's `kind: esx`), with exactly one back end:
 *
 * ```yaml
 * provisioner:
 *   kind: esx
 *   api:                                   # vCenter, or an ESXi whose API may write
 *     url: https://vcenter.example.org/sdk
 *     username: provkit@vsphere.local
 *     passwordEnv: PROVKIT_VCENTER_PASSWORD
 *     tls: { caFile: /etc/provkit/vcenter-ca.pem }
 *     imagesFolder: provkit/images
 *     nodesFolder: provkit/nodes
 *   # ssh: { host: esxi1, username: root, privateKeyPath: /etc/provkit/id_ed25519, knownHostsPath: /etc/provkit/known_hosts, datastore: datastore1 }
 *   defaultSize: { cpus: 2, memory: 4 GiB }
 *   shutdownTimeoutMs: 300000              # also toolsTimeoutMs, bootTimeoutMs
 *   preCaptureTimeoutMs: 1800000           # bound handed to the OS module's preCapture; unset: the OS module's own
 * ```
 *
 * The vCenter password is read from the environment variable `passwordEnv` names. TLS and SSH
 * host keys are verified unless the section turns that off by its loud names.
 */
export function createEsxProvisioner(config: Record<string, unknown>, context: ModuleFactoryContext = {}): EsxProvisioner {
  const section = new ConfigSection('provisioner', config);
  const api = section.section('api');
  const ssh = section.section('ssh');
  if ((api === undefined) === (ssh === undefined)) throw new InvalidInputError(section.field('api'), 'give exactly one of api (vSphere API) or ssh (vim-cmd over SSH)');
  const options: EsxProvisionerOptions = { ...context };
  const size = section.section('defaultSize');
  if (size) {
    const defaultSize: Partial<SizeSpec> = {};
    const cpus = size.positiveInteger('cpus');
    const memoryBytes = size.bytes('memory');
    if (cpus !== undefined) defaultSize.cpus = cpus;
    if (memoryBytes !== undefined) defaultSize.memoryBytes = memoryBytes;
    options.defaultSize = defaultSize;
  }
  for (const key of ['toolsTimeoutMs', 'bootTimeoutMs', 'shutdownTimeoutMs', 'preCaptureTimeoutMs'] as const) {
    const value = section.positiveInteger(key);
    if (value !== undefined) options[key] = value;
  }
  if (api) {
    options.api = apiFromConfig(api);
    return new EsxProvisioner(options);
  }
  const target = sshTargetFromConfig(ssh!, { username: 'root' });
  const datastore = ssh!.requiredString('datastore');
  const imagesDirectory = ssh!.string('imagesDirectory');
  const commandTimeoutMs = ssh!.positiveInteger('commandTimeoutMs');
  // The pool connects on the first command, so a refused setting leaves nothing open.
  const pool = new SshPool(context.events ? { events: context.events } : {});
  return new EsxProvisioner({
    ...options,
    ssh: { runner: pool.runner(target), datastore, ...(imagesDirectory !== undefined ? { imagesDirectory } : {}), ...(commandTimeoutMs !== undefined ? { commandTimeoutMs } : {}) },
    onClose: () => pool.close(),
  });
}

function apiFromConfig(section: ConfigSection): VimDriverOptions {
  const url = section.requiredString('url');
  if (!/^https?:\/\/[^\s/]+(:\d+)?\/sdk\/?$/.test(url)) throw new InvalidInputError(section.field('url'), `${JSON.stringify(url)} is not a vSphere SDK URL like https://vcenter.example.org/sdk`);
  const password = section.secretFromEnv('passwordEnv');
  if (!password) throw new InvalidInputError(section.field('passwordEnv'), 'is required: the environment variable holding the password');
  const options: VimDriverOptions = { url, username: section.requiredString('username'), password };
  const tls = section.section('tls');
  if (tls) {
    const verification: VimTlsOptions = {};
    const caFile = tls.localPath('caFile');
    const thumbprint = tls.string('thumbprint');
    const insecure = tls.boolean('insecureSkipTlsVerify');
    if (caFile !== undefined) verification.caFile = caFile;
    if (thumbprint !== undefined) verification.thumbprint = thumbprint;
    if (insecure !== undefined) verification.insecureSkipTlsVerify = insecure;
    options.tls = verification;
  }
  for (const key of ['datacenter', 'imagesFolder', 'nodesFolder', 'resourcePool', 'datastore'] as const) {
    const value = section.string(key);
    if (value !== undefined) options[key] = value;
  }
  for (const key of ['maxConcurrentRequests', 'requestTimeoutMs', 'taskTimeoutMs'] as const) {
    const value = section.positiveInteger(key);
    if (value !== undefined) options[key] = value;
  }
  const keepAlive = section.nonNegativeInteger('keepAliveIntervalMs'); // 0 turns it off
  if (keepAlive !== undefined) options.keepAliveIntervalMs = keepAlive;
  return options;
}
