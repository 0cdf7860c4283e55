/**
 * core's BaseProvisioner and BaseOsModule defaults keep the contract by themselves: a module
 * that implements only the required members and inherits the rest passes the kit's shape,
 * image and input checks, with "unsupported" reported only after bad input and an aborted
 * signal were answered, and capability skips named.
 */
import {
  BaseOsModule,
  BaseProvisioner,
  type CaptureOptions,
  type CurrentImageInfo,
  type ImageInfo,
  type ImageOperationOptions,
  type ListImagesOptions,
  type LoadOptions,
  type NodeOperationOptions,
  type NodeStatusOptions,
  type PostLoadOptions,
  type PowerOffOptions,
  type WaitOptions,
  type WriteCurrentImageOptions,
} from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { runChecks } from './run-checks.ts';
import { osModuleChecks } from '../os-module/suites.ts';
import { provisionerImagesChecks } from '../provisioner/images-checks.ts';
import { provisionerInputChecks } from '../provisioner/input-checks.ts';
import { provisionerShapeChecks } from '../provisioner/shape-checks.ts';
import type { MemoryHost } from '../reference/memory-host.ts';
import { MemoryOsModule } from '../reference/memory-os-module.ts';
import { MemoryProvisioner } from '../reference/memory-provisioner.ts';
import { referenceOsModuleOptions, referenceProvisionerOptions } from '../../test-support/reference-fixture.ts';

/** Only the abstract members, each delegated to the reference; every default inherited. */
class MinimalProvisioner extends BaseProvisioner {
  readonly provider = 'minimal';
  readonly #inner: MemoryProvisioner;
  constructor(host: MemoryHost) {
    super();
    this.#inner = new MemoryProvisioner({ host });
    this.#inner.events.on('command', (event) => this.events.emit('command', event));
    this.#inner.events.on('progress', (event) => this.events.emit('progress', event));
  }
  nodeStatus = (options: NodeStatusOptions) => this.#inner.nodeStatus(options);
  load = (options: LoadOptions) => this.#inner.load(options);
  capture = (options: CaptureOptions) => this.#inner.capture(options);
  unload = (options: NodeOperationOptions) => this.#inner.unload(options);
  powerOn = (options: NodeOperationOptions) => this.#inner.powerOn(options);
  powerOff = (options: PowerOffOptions) => this.#inner.powerOff(options);
  powerStatus = (options: NodeOperationOptions) => this.#inner.powerStatus(options);
  getImageSize = (options: ImageOperationOptions) => this.#inner.getImageSize(options);
  listImages = (options?: ListImagesOptions): Promise<ImageInfo[]> => this.#inner.listImages(options);
  deleteImage = (options: ImageOperationOptions) => this.#inner.deleteImage(options);
}

/** Waiting, post-load and currentimage.txt only; users, firewall and generalization from BaseOsModule. */
class MinimalOsModule extends BaseOsModule {
  readonly os = 'minimal';
  readonly #inner: MemoryOsModule;
  constructor(host: MemoryHost) {
    super();
    this.#inner = new MemoryOsModule({ host });
    this.#inner.events.on('command', (event) => this.events.emit('command', event));
    this.#inner.events.on('progress', (event) => this.events.emit('progress', event));
  }
  waitForResponse = (options: WaitOptions) => this.#inner.waitForResponse(options);
  postLoad = (options: PostLoadOptions) => this.#inner.postLoad(options);
  readCurrentImage = (options: NodeOperationOptions): Promise<CurrentImageInfo | undefined> => this.#inner.readCurrentImage(options);
  writeCurrentImage = (options: WriteCurrentImageOptions) => this.#inner.writeCurrentImage(options);
  shutdown = (options: WaitOptions) => this.#inner.shutdown(options);
  reboot = (options: WaitOptions) => this.#inner.reboot(options);
}

describe("core's base-class defaults", () => {
  it('BaseProvisioner: a minimal provisioner passes the shape, image and input checks (doesImageExist, retrieveImage, powerReset, getCurrentImage inherited)', async () => {
    const options = referenceProvisionerOptions((host) => new MinimalProvisioner(host) as unknown as MemoryProvisioner);
    const outcomes = await runChecks([...provisionerShapeChecks(options), ...provisionerImagesChecks(options), ...provisionerInputChecks(options)]);
    expect(outcomes.filter((outcome) => outcome.status !== 'passed')).toEqual([]);
  });

  it('BaseOsModule: a minimal OS module passes the OS kit, its absent users, generalize and firewall answering UNSUPPORTED_FUNCTIONALITY before any command', async () => {
    const outcomes = await runChecks(osModuleChecks(referenceOsModuleOptions((host) => new MinimalOsModule(host) as unknown as MemoryOsModule)));
    expect(outcomes.filter((outcome) => outcome.status !== 'passed')).toEqual([]);
  });
});
