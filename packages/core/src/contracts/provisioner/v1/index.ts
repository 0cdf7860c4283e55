export type { ProvisionerV1 } from './provisioner-v1.ts';
export { BaseProvisioner, DEFAULT_PROVISIONER_CAPABILITIES } from './base-provisioner.ts';
export type { ProvisionerCapabilitiesV1 } from './capabilities.ts';
export type { NodeStatusOptions, NodeStatusResult, NodeStatusValue, PowerState } from './status.ts';
export { LOAD_STEPS, type LoadOptions, type LoadResult, type LoadStep } from './load.ts';
export { CAPTURE_STEPS, UNLOAD_STEPS, type CaptureOptions, type CaptureResult, type CaptureStep, type UnloadStep } from './capture.ts';
export type { PowerOffOptions } from './power.ts';
export type { DeleteImageResult, ListImagesOptions, RetrieveImageOptions } from './images.ts';
export { decideNodeStatus, type NodeStatusFacts } from './node-status-decision.ts';
