import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChecksumMismatchError, IMAGE_NAME_PATTERN, ImageExistsError, InvalidStateError, ImageNotFoundError, parseImageName, type ImageInfo, type ImageSize } from '@provkit/core';
import { tempPathFor, type HostCallOptions, type KvmHost } from './kvm-host.ts';
import { canCopyBetween, copyBetween, type RunnerFile, type TransferOptions } from '@provkit/runners';

const SUFFIX = '.qcow2';

/**
 * The image library: a directory of standalone qcow2 files `<name>-v<revision>.qcow2` on the
 * host, and the nodes' own disks in another directory. Image names are validated by the
 * caller; this class only builds paths from validated names.
 */
export class ImageLibrary {
  readonly host: KvmHost;
  readonly directory: string;
  readonly nodeDiskDir: string;

  constructor(host: KvmHost, directory: string, nodeDiskDir: string) {
    this.host = host;
    this.directory = directory;
    this.nodeDiskDir = nodeDiskDir;
  }

  /** Where an image lives on the host. */
  path(image: string): string {
    return `${this.directory}/${image}${SUFFIX}`;
  }

  async size(image: string, options: HostCallOptions = {}): Promise<ImageSize> {
    const info = await this.host.imageInfo(this.path(image), options);
    if (!info) throw new ImageNotFoundError(image, this.where);
    return { virtualBytes: info[0]!.virtualBytes, allocatedBytes: info[0]!.allocatedBytes };
  }

  async exists(image: string, options: HostCallOptions = {}): Promise<boolean> {
    return this.host.fileExists(this.path(image), options);
  }

  /** Every image in the library (temp files of running captures are hidden and skipped). */
  async list(options: HostCallOptions & { base?: string | undefined } = {}): Promise<ImageInfo[]> {
    const names = (await this.host.listFiles(this.directory, SUFFIX, options))
      .map((file) => file.slice(0, -SUFFIX.length))
      .filter((name) => IMAGE_NAME_PATTERN.test(name))
      .map((name) => parseImageName('image', name))
      .filter((image) => options.base === undefined || image.base === options.base);
    const { infos } = await this.host.imageInfos(names.map((image) => this.path(image.name)), options);
    return names.flatMap((image) => {
      const info = infos.get(this.path(image.name));
      return info ? [{ name: image.name, base: image.base, revision: image.revision, format: info.format, virtualBytes: info.virtualBytes, allocatedBytes: info.allocatedBytes }] : [];
    });
  }

  /** Node disks (file names) whose backing file is this image. */
  async usersOf(image: string, options: HostCallOptions = {}): Promise<string[]> {
    const path = this.path(image);
    const disks = await this.host.listFiles(this.nodeDiskDir, SUFFIX, options);
    const { infos, unreadable } = await this.host.imageInfos(disks.map((disk) => `${this.nodeDiskDir}/${disk}`), options);
    // A disk whose backing file cannot be read might be using the image: refuse to guess.
    if (unreadable.length > 0) throw new InvalidStateError(`cannot tell whether ${unreadable.join(', ')} use${unreadable.length === 1 ? 's' : ''} image ${image}: qemu-img info failed on ${unreadable.length === 1 ? 'it' : 'them'}`);
    return [...infos.values()].filter((info) => info.fullBackingFilename === path || info.backingFilename === path).map((info) => info.filename.slice(this.nodeDiskDir.length + 1, -SUFFIX.length));
  }

  /**
   * Copies `image` from another library into this one: download from the source host, upload
   * under a temp name here, compare SHA-256 on both hosts, then rename without clobbering.
   * A failure leaves no file under the final name.
   */
  async retrieveFrom(source: ImageLibrary, image: string, options: HostCallOptions = {}): Promise<void> {
    const from = source.path(image);
    const to = this.path(image);
    if (!(await source.exists(image, options))) throw new ImageNotFoundError(image, source.where);
    if (await this.exists(image, options)) throw new ImageExistsError(image, this.where);
    const temp = tempPathFor(this.directory, `${image}${SUFFIX}`);
    const transfer = options.signal ? { signal: options.signal } : {};
    try {
      const expected = await source.host.sha256(from, options);
      await copyImageFile({ runner: source.host.runner, path: from }, { runner: this.host.runner, path: temp }, transfer);
      const actual = await this.host.sha256(temp, options);
      if (actual !== expected) throw new ChecksumMismatchError(image, expected, actual);
      if (!(await this.host.renameNoClobber(temp, to, options))) throw new ImageExistsError(image, this.where);
    } finally {
      await this.host.remove([temp], { signal: AbortSignal.timeout(60_000) }).catch(() => undefined);
    }
  }

  get where(): string {
    return `library ${this.directory} on ${this.host.runner.target}`;
  }
}

/**
 * Copies an image file from one host to another: streamed through this process (nothing staged
 * here) when both runners stream, as provkit's SSH and local runners do; else through a local
 * temporary file, for a caller's runner that only has `downloadFile` and `uploadFile`.
 */
async function copyImageFile(source: RunnerFile, target: RunnerFile, transfer: TransferOptions): Promise<void> {
  if (canCopyBetween(source.runner, target.runner)) return copyBetween(source, target, transfer);
  const local = await mkdtemp(join(tmpdir(), 'provkit-kvm-retrieve-'));
  try {
    await source.runner.downloadFile(source.path, join(local, 'image'), transfer);
    await target.runner.uploadFile(join(local, 'image'), target.path, transfer);
  } finally {
    await rm(local, { recursive: true, force: true });
  }
}
