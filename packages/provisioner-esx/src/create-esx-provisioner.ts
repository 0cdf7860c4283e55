import { parseConfig, secretFromEnv, type ModuleFactoryContext, type SizeSpec } from '@provkit/core';
import { DEFAULT_CONNECT_TIMEOUT_MS, SshPool, sshTargetFromConfig } from '@provkit/runners';
import { esxProvisionerConfigSchema, type EsxProvisionerConfig } from './esx-config-schema.ts';
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
 * host keys are verified unless the section turns that off by its loud names. The section is
 * checked against {@link esxProvisionerConfigSchema} (unknown keys, types, key, known_hosts and
 * CA files) before anything connects; an SSH connect is bounded by `ssh.connectTimeoutMs`
 * (default 10 s), an API request (its connect included) by `api.requestTimeoutMs`.
 */
export function createEsxProvisioner(config: Record<string, unknown>, context: ModuleFactoryContext = {}): EsxProvisioner {
  const settings = parseConfig(esxProvisionerConfigSchema, 'provisioner', config);
  const options: EsxProvisionerOptions = { ...context };
  if (settings.defaultSize) {
    const defaultSize: Partial<SizeSpec> = {};
    if (settings.defaultSize.cpus !== undefined) defaultSize.cpus = settings.defaultSize.cpus;
    if (settings.defaultSize.memory !== undefined) defaultSize.memoryBytes = settings.defaultSize.memory;
    options.defaultSize = defaultSize;
  }
  for (const key of ['toolsTimeoutMs', 'bootTimeoutMs', 'shutdownTimeoutMs', 'preCaptureTimeoutMs'] as const) {
    const value = settings[key];
    if (value !== undefined) options[key] = value;
  }
  if (settings.api) {
    options.api = apiOptions(settings.api);
    return new EsxProvisioner(options);
  }
  const ssh = settings.ssh!;
  const target = sshTargetFromConfig(ssh, { path: 'provisioner.ssh', username: 'root' });
  // The pool connects on the first command, so nothing is open before the provisioner is used.
  const pool = new SshPool({ connectTimeoutMs: ssh.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, events: context.events });
  return new EsxProvisioner({
    ...options,
    ssh: { runner: pool.runner(target), datastore: ssh.datastore, ...(ssh.imagesDirectory !== undefined ? { imagesDirectory: ssh.imagesDirectory } : {}), ...(ssh.commandTimeoutMs !== undefined ? { commandTimeoutMs: ssh.commandTimeoutMs } : {}) },
    onClose: () => pool.close(),
  });
}

function apiOptions(api: NonNullable<EsxProvisionerConfig['api']>): VimDriverOptions {
  const { passwordEnv, tls, ...rest } = api;
  const options: VimDriverOptions = { ...rest, password: secretFromEnv('provisioner.api.passwordEnv', passwordEnv) };
  if (tls) options.tls = tls as VimTlsOptions;
  return options;
}
