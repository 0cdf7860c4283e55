/**
 * `@provkit/provisioner-kvm`: a provkit provisioner for libvirt/QEMU hosts, driven through
 * `virsh` and `qemu-img` over a command runner (SSH to the host, or local).
 *
 * ```ts
 * const pool = new SshPool();
 * const kvm = new KvmProvisioner({
 *   runner: pool.runner({ host: 'kvm1.example.org', username: 'root', privateKeyPath, hostKey: { kind: 'known-hosts', path: knownHosts } }),
 *   libraryDir: '/var/lib/libvirt/images/library',
 *   nodeDiskDir: '/var/lib/libvirt/images/nodes',
 *   network: { kind: 'bridge', bridge: 'br0' },
 *   osModule,
 * });
 * await kvm.load({ node: { name: 'web-1', address: { host: '10.0.0.21' } }, image: 'debian12-v3' });
 * ```
 *
 * @packageDocumentation
 */
export { KvmProvisioner } from './kvm-provisioner.ts';
export { createKvmProvisioner } from './create-kvm-provisioner.ts';
export { kvmProvisionerConfigSchema, type KvmProvisionerConfig } from './kvm-config-schema.ts';
export type { KvmProvisionerOptions, KvmNetwork, KvmDirectKernelBoot, KvmSettings } from './kvm-options.ts';
export { KvmHost, type DiskWriteOptions, type HostCallOptions } from './kvm-host.ts';
export { ImageLibrary } from './image-library.ts';
// The translation layer (src/translation: commands, parsers, MAC addresses) is internal. Public
// are the domain XML builder, which callers outside the package use, and, as types only, the
// results of KvmHost's calls (KvmProvisioner.host is public).
export { buildDomainXml, PROVKIT_METADATA_NAMESPACE, type DomainSpec, type DomainDisk, type DomainNic, type NicSource, type UserNetForward, type DirectKernelBoot } from './translation/domain-xml.ts';
export type { DomainState, BlockDevice, ProvkitRecord } from './translation/virsh-output.ts';
export type { QemuImageInfo } from './translation/qemu-img-info.ts';
export type { LeftoverListingKind } from './translation/base-tools-output.ts';
export type { CaptureRecord, CapturePhase } from './translation/capture-record.ts';
export { HostLocks, type CommandLockOptions, type HostLock, type HostLockMode, type HostLockOptions } from './host-lock.ts';
export type { IntentRecord } from './intent-record.ts';
export { LeftBehindError } from './left-behind-error.ts';
export type { LeftoversOptions, LeftoversReport } from './leftovers.ts';
export { DEFAULT_INDEPENDENT_TIMEOUT_MS, type MakeIndependentOptions, type MakeIndependentResult, type IndependentDisk, type IndependentMethod, type KvmLoadOptions } from './make-independent-options.ts';
export type { KvmCaptureOptions } from './kvm-capture-options.ts';
export { KVM_LOAD_FAILURE_STEPS, type KvmLoadFailureStep } from './kvm-load.ts';
export { KVM_CAPTURE_FAILURE_STEPS, type KvmCaptureFailureStep } from './kvm-capture.ts';
