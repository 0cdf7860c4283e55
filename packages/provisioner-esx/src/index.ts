/**
 * `@provkit/provisioner-esx`: a provkit provisioner for VMware vSphere. It talks vim25 SOAP
 * to a vCenter or an ESXi through a small typed client of its own (session reuse, bounded
 * concurrency, `WaitForUpdatesEx` to follow tasks, TLS verified by default), and drives an
 * ESXi whose API is read-only (free license) with `vim-cmd`/`vmkfstools` over SSH instead.
 *
 * @packageDocumentation
 */
export { EsxProvisioner } from './esx-provisioner.ts';
export { createEsxProvisioner } from './create-esx-provisioner.ts';
export { esxProvisionerConfigSchema, type EsxProvisionerConfig } from './esx-config-schema.ts';
export type { EsxProvisionerOptions } from './esx-options.ts';
export type { EsxDriver, EsxNodeFacts, CreateNodeRequest, DriverCallOptions, NodeHardware, LoadOperation, EsxLeftover, DestroyOwnedOutcome, CaptureNodeOptions } from './esx-driver.ts';
export { VimDriver, BASE_SNAPSHOT_NAME, type VimDriverOptions } from './vsphere/vim-driver.ts';
export { AbandonedTaskError, VSphereApi, type VSphereApiOptions, type GuestFacts, type VimPowerState, type ApiCallOptions, type ApiTaskOptions, type ApiWaitOptions } from './vsphere/vsphere-api.ts';
export { VimClient, VimFault, SessionLostError, type CollectorLease, type VimClientOptions, type VimRequestEvent, type VimCallOptions } from './wire/vim-client.ts';
export type { VimTlsOptions } from './wire/tls-verification.ts';
export * as vim25 from './translation/vim-requests.ts';
export type { MoRef } from './translation/xml.ts';
export { faultToError, type FaultContext } from './translation/faults.ts';
export { VimCmdDriver, type VimCmdDriverOptions } from './vim-cmd/vim-cmd-driver.ts';
export { acquireVimClient, type SharedVimClient } from './wire/shared-vim-client.ts';
export type { EsxSettings } from './esx-options.ts';
export type { SoapFault, VimRequest, XmlNode, XmlValue } from './translation/envelope.ts';
export type { ObjectContent, ServiceContent, VmFile } from './translation/vim-responses.ts';
export type { ObjectSpec, PropertyFilterSpec, PropertySpec, SelectionSpec } from './translation/property-spec.ts';
