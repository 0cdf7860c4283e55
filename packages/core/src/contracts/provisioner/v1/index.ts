export type { ProvisionerV1 } from './provisioner-v1.ts';
export { BaseProvisioner, DEFAULT_PROVISIONER_CAPABILITIES } from './base-provisioner.ts';
export type { ProvisionerCapabilitiesV1 } from './capabilities.ts';
export type { NodeStatusOptions, NodeStatusResult, NodeStatusValue, PowerState } from './status.ts';
export type { NodeStatusesOptions, NodeStatusEntry } from './status-batch.ts';
export { LOAD_STEPS, type LoadOptions, type LoadResult, type LoadStep } from './load.ts';
export type { CaptureOptions, CaptureResult } from './capture.ts';
export type { PowerOffOptions } from './power.ts';
export type { ListImagesOptions, RetrieveImageOptions } from './images.ts';
