/**
 * `@provkit/provisioner-esx`: a provkit provisioner for VMware vSphere. It talks vim25 SOAP
 * to a vCenter or an ESXi through a small typed client of its own (session reuse, bounded
 * concurrency, `WaitForUpdatesEx` to follow tasks, TLS verified by default), and drives an
 * ESXi whose API is read-only (free license) with `vim-cmd`/`vmkfstools` over SSH instead.
 *
 * @packageDocumentation
 */
export { EsxProvisioner } from './esx-provisioner.ts';
export { ESX_LOAD_FAILURE_STEPS, type EsxLoadFailureStep } from './esx-load.ts';
export { ESX_CAPTURE_FAILURE_STEPS, type EsxCaptureFailureStep } from './esx-capture.ts';
export { createEsxProvisioner } from './create-esx-provisioner.ts';
export { esxProvisionerConfigSchema, type EsxProvisionerConfig } from './esx-config-schema.ts';
export type { EsxProvisionerOptions, EsxSettings } from './esx-options.ts';
export type { EsxDriver, EsxNodeFacts, CreateNodeRequest, DriverCallOptions, NodeHardware, LoadOperation, EsxLeftover, DestroyOwnedOutcome, CaptureNodeOptions } from './esx-driver.ts';
export { VimDriver, BASE_SNAPSHOT_NAME, type VimDriverOptions } from './vsphere/vim-driver.ts';
export type { VimTlsOptions } from './wire/tls-verification.ts';
export { VimCmdDriver, type VimCmdDriverOptions } from './vim-cmd/vim-cmd-driver.ts';
// The wire (VimClient, sessions, TLS) and translation (vim25 envelopes, faults) layers and the
// vSphere API layer over them are internal: the package's own tests import them by path.
