import { randomBytes } from 'node:crypto';
import {
  checkName,
  IMAGE_NAME_PATTERN,
  ImageExistsError,
  ImageNotFoundError,
  InvalidInputError,
  InvalidStateError,
  NodeExistsError,
  NodeNotFoundError,
  parseImageName,
  sh,
  waitFor,
  type ImageInfo,
  type ImageSize,
} from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import type { CreateNodeRequest, DriverCallOptions, EsxDriver, EsxNodeFacts, NodeHardware } from '../esx-driver.ts';
import { parseDatastorePath, parseDuKilobytes, parseGetAllVms, parseGuestInfo, parsePowerState, parseRegisteredVmid, parseVmdkDescriptor, type RegisteredVm } from './vim-cmd-output.ts';
import { formatVmx, parseVmx, vmxDisks, vmxForCopy, vmxGet, vmxSet, type Vmx } from './vmx.ts';

/** Options of the `vim-cmd` back end. */
export interface VimCmdDriverOptions {
  /** Runs commands on the ESXi host as root (an SSH runner from the SshPool of @provkit/runners). */
  runner: CommandRunner;
  /** Datastore holding images and nodes, e.g. `datastore1` (`/vmfs/volumes/datastore1`). */
  datastore: string;
  /** Directory on the datastore with one directory per image (default `provkit-images`). */
  imagesDirectory?: string;
  /** Bound on each command (default 30 min: disk copies are slow). */
  commandTimeoutMs?: number;
}

const IMAGE_KEY = 'provkit.image';
const DISK_MODE_KEY = 'provkit.diskMode';
const MARK = '@@provkit@@';

/**
 * The back end for an ESXi whose API is read-only (free license): `vim-cmd` registers,
 * powers and destroys VMs, `vmkfstools` copies disks, over SSH. Images are directories
 * `<datastore>/<imagesDirectory>/<image>/` holding `<image>.vmx` and its disks; a node is
 * a full copy in `<datastore>/<node>/`, registered under its name. No linked clones here.
 */
export class VimCmdDriver implements EsxDriver {
  readonly kind = 'ssh' as const;
  readonly supportsLinkedClones = false;
  readonly #runner: CommandRunner;
  readonly #root: string;
  readonly #images: string;
  readonly #timeoutMs: number;

  constructor(options: VimCmdDriverOptions) {
    checkName('ssh.datastore', options.datastore);
    if (options.imagesDirectory !== undefined) checkName('ssh.imagesDirectory', options.imagesDirectory);
    this.#runner = options.runner;
    this.#root = `/vmfs/volumes/${options.datastore}`;
    this.#images = `${this.#root}/${options.imagesDirectory ?? 'provkit-images'}`;
    this.#timeoutMs = options.commandTimeoutMs ?? 30 * 60_000;
  }

  #run(command: readonly string[] | ReturnType<typeof sh>, options: DriverCallOptions, check = true) {
    return this.#runner.run(command, { timeoutMs: this.#timeoutMs, check, signal: options.signal });
  }

  #imageDir(image: string): string {
    return `${this.#images}/${image}`;
  }

  async #registered(options: DriverCallOptions): Promise<RegisteredVm[]> {
    return parseGetAllVms((await this.#run(['vim-cmd', 'vmsvc/getallvms'], options)).stdout);
  }

  async #vm(node: string, options: DriverCallOptions): Promise<RegisteredVm | undefined> {
    return (await this.#registered(options)).find((vm) => vm.name === node);
  }

  async #mustVm(node: string, options: DriverCallOptions): Promise<RegisteredVm> {
    const vm = await this.#vm(node, options);
    if (vm === undefined) throw new NodeNotFoundError(node);
    return vm;
  }

  /** Absolute path of a registered VM's .vmx. */
  #vmxPath(vm: RegisteredVm): string {
    const { datastore, relative } = parseDatastorePath(vm.file);
    return `/vmfs/volumes/${datastore}/${relative}`;
  }

  async imageInfo(image: string, options: DriverCallOptions = {}): Promise<ImageInfo | undefined> {
    const dir = this.#imageDir(image);
    const result = await this.#run(sh`test -f ${`${dir}/${image}.vmx`} || exit 3; cat ${`${dir}/${image}.vmdk`}; echo ${MARK}; du -sk ${dir}`, options, false);
    if (result.exitCode === 3) return undefined;
    if (result.exitCode !== 0) throw new InvalidStateError(`image ${image} is unreadable: ${result.stderr.trim().slice(0, 300)}`);
    const [descriptor = '', du = ''] = result.stdout.split(MARK);
    const parsed = parseImageName('image', image);
    return { name: image, base: parsed.base, revision: parsed.revision, format: 'vmdk', virtualBytes: parseVmdkDescriptor(descriptor).virtualBytes, allocatedBytes: parseDuKilobytes(du) };
  }

  async listImages(options: DriverCallOptions = {}): Promise<ImageInfo[]> {
    const result = await this.#run(sh`test -d ${this.#images} || exit 0; ls -1 ${this.#images}`, options);
    const names = result.stdout.split('\n').map((line) => line.trim()).filter((name) => IMAGE_NAME_PATTERN.test(name));
    const images: ImageInfo[] = [];
    for (const name of names.sort()) {
      const info = await this.imageInfo(name, options);
      if (info) images.push(info);
    }
    return images;
  }

  async deleteImage(image: string, options: DriverCallOptions = {}): Promise<void> {
    if ((await this.imageInfo(image, options)) === undefined) throw new ImageNotFoundError(image, this.#images);
    // Nodes are full copies here: no node depends on an image's files.
    await this.#run(['rm', '-rf', this.#imageDir(image)], options);
  }

  async nodeFacts(node: string, options: DriverCallOptions = {}): Promise<EsxNodeFacts | undefined> {
    const vm = await this.#vm(node, options);
    if (vm === undefined) return undefined;
    const result = await this.#run(sh`vim-cmd vmsvc/power.getstate ${vm.vmid}; echo ${MARK}; vim-cmd vmsvc/get.guest ${vm.vmid}; echo ${MARK}; cat ${this.#vmxPath(vm)}`, options);
    const [power = '', guest = '', vmxText = ''] = result.stdout.split(MARK);
    const report = parseGuestInfo(guest);
    const image = vmxGet(parseVmx(vmxText), IMAGE_KEY);
    return { power: parsePowerState(power), isTemplate: false, toolsRunning: report.toolsRunning, ...(report.ipAddress ? { ipAddress: report.ipAddress } : {}), ...(image ? { image } : {}), managed: image !== undefined };
  }

  async createNode(request: CreateNodeRequest, options: DriverCallOptions = {}): Promise<void> {
    if (request.diskMode !== 'full') throw new InvalidInputError('diskMode', 'the vim-cmd back end makes full copies only');
    if ((await this.#vm(request.node, options)) !== undefined) throw new NodeExistsError(request.node);
    const source = this.#imageDir(request.image);
    const target = `${this.#root}/${request.node}`;
    const sourceVmx = await this.#run(sh`test -f ${`${source}/${request.image}.vmx`} || exit 3; cat ${`${source}/${request.image}.vmx`}`, options, false);
    if (sourceVmx.exitCode === 3) throw new ImageNotFoundError(request.image, this.#images);
    if (sourceVmx.exitCode !== 0) throw new InvalidStateError(`image ${request.image} is unreadable: ${sourceVmx.stderr.trim().slice(0, 300)}`);
    // Checked before anything is made: a disk outside the image's directory is refused.
    const vmx = parseVmx(sourceVmx.stdout);
    const disks = vmxDisks(vmx, `${source}/${request.image}.vmx`);
    // mkdir without -p: an existing directory (a leftover) stops the load before it copies anything.
    const made = await this.#run(['mkdir', target], options, false);
    if (made.exitCode !== 0) throw new InvalidStateError(`node directory ${target} exists (a leftover?): remove it first`);
    try {
      const names = disks.map((_, index) => `${request.node}${index === 0 ? '' : `_${index}`}.vmdk`);
      for (const [index, disk] of disks.entries()) {
        await this.#run(['vmkfstools', '-i', `${source}/${disk.file}`, `${target}/${names[index]}`, '-d', 'thin'], options);
      }
      const copy = vmxForCopy(vmx, request.node, names, { [IMAGE_KEY]: request.image, [DISK_MODE_KEY]: 'full' });
      await this.#runner.writeFile(`${target}/${request.node}.vmx`, formatVmx(copy), { mode: 0o644, signal: options.signal });
      parseRegisteredVmid((await this.#run(['vim-cmd', 'solo/registervm', `${target}/${request.node}.vmx`, request.node], options)).stdout);
    } catch (error) {
      const cleanup = { signal: AbortSignal.timeout(120_000) };
      // An abort during registervm may come after ESXi registered the copy: unregister it
      // (only a VM whose .vmx is in this load's fresh directory) before its files go.
      const registered = await this.#vm(request.node, cleanup).catch(() => undefined);
      if (registered !== undefined && this.#vmxPath(registered) === `${target}/${request.node}.vmx`) {
        await this.#run(['vim-cmd', 'vmsvc/unregister', registered.vmid], cleanup).catch(() => undefined);
      }
      await this.#run(['rm', '-rf', target], cleanup).catch(() => undefined);
      throw error;
    }
  }

  async resizeNode(node: string, hardware: NodeHardware, options: DriverCallOptions = {}): Promise<void> {
    const vm = await this.#mustVm(node, options);
    const path = this.#vmxPath(vm);
    let vmx: Vmx = parseVmx((await this.#run(['cat', path], options)).stdout);
    if (hardware.cpus !== undefined) vmx = vmxSet(vmx, 'numvcpus', String(hardware.cpus));
    if (hardware.memoryMB !== undefined) vmx = vmxSet(vmx, 'memSize', String(hardware.memoryMB));
    await this.#runner.writeFile(path, formatVmx(vmx), { mode: 0o644, signal: options.signal });
    await this.#run(['vim-cmd', 'vmsvc/reload', vm.vmid], options);
  }

  async destroyNode(node: string, options: DriverCallOptions = {}): Promise<boolean> {
    const vm = await this.#vm(node, options);
    if (vm === undefined) return false;
    const state = parsePowerState((await this.#run(['vim-cmd', 'vmsvc/power.getstate', vm.vmid], options)).stdout);
    if (state !== 'off') await this.#run(['vim-cmd', 'vmsvc/power.off', vm.vmid], options);
    // destroy unregisters the VM and deletes its files.
    await this.#run(['vim-cmd', 'vmsvc/destroy', vm.vmid], options);
    return true;
  }

  async #power(node: string, verb: 'power.on' | 'power.off' | 'power.shutdown' | 'power.reset', options: DriverCallOptions): Promise<void> {
    const vm = await this.#mustVm(node, options);
    await this.#run(['vim-cmd', `vmsvc/${verb}`, vm.vmid], options);
  }

  powerOn(node: string, options: DriverCallOptions = {}): Promise<void> {
    return this.#power(node, 'power.on', options);
  }

  powerOff(node: string, options: DriverCallOptions = {}): Promise<void> {
    return this.#power(node, 'power.off', options);
  }

  shutdownGuest(node: string, options: DriverCallOptions = {}): Promise<void> {
    return this.#power(node, 'power.shutdown', options);
  }

  reset(node: string, options: DriverCallOptions = {}): Promise<void> {
    return this.#power(node, 'power.reset', options);
  }

  async waitForGuest(node: string, options: DriverCallOptions & { timeoutMs: number }): Promise<{ ipAddress: string }> {
    const vm = await this.#mustVm(node, options);
    // vim-cmd has no change feed: a bounded poll with backoff is all there is.
    return waitFor({
      what: `VMware Tools and an IP address on node ${node}`,
      timeoutMs: options.timeoutMs,
      initialDelayMs: 500,
      signal: options.signal,
      poll: async ({ signal }) => {
        const report = parseGuestInfo((await this.#run(['vim-cmd', 'vmsvc/get.guest', vm.vmid], { signal })).stdout);
        return report.toolsRunning && report.ipAddress ? { done: true, value: { ipAddress: report.ipAddress } } : { done: false, state: `tools ${report.toolsRunning ? 'running' : 'not running'}, ip ${report.ipAddress ?? 'none'}` };
      },
    });
  }

  async waitForPowerOff(node: string, options: DriverCallOptions & { timeoutMs: number }): Promise<void> {
    const vm = await this.#mustVm(node, options);
    await waitFor({
      what: `node ${node} to power off`,
      timeoutMs: options.timeoutMs,
      initialDelayMs: 500,
      signal: options.signal,
      poll: async ({ signal }) => {
        const state = parsePowerState((await this.#run(['vim-cmd', 'vmsvc/power.getstate', vm.vmid], { signal })).stdout);
        return state === 'off' ? { done: true, value: undefined } : { done: false, state };
      },
    });
  }

  async captureNode(node: string, image: string, options: DriverCallOptions = {}): Promise<ImageSize> {
    const vm = await this.#mustVm(node, options);
    const final = this.#imageDir(image);
    // A leading dot keeps the copy out of every listing until it is complete.
    const temporary = `${this.#images}/.${image}.capture-${randomBytes(4).toString('hex')}`;
    const nodeVmxPath = this.#vmxPath(vm);
    const nodeDir = nodeVmxPath.slice(0, nodeVmxPath.lastIndexOf('/'));
    const vmx = parseVmx((await this.#run(['cat', nodeVmxPath], options)).stdout);
    const disks = vmxDisks(vmx, nodeVmxPath);
    const exists = await this.#run(['test', '-e', final], options, false);
    if (exists.exitCode === 0) throw new ImageExistsError(image, this.#images);
    await this.#run(['mkdir', '-p', temporary], options);
    try {
      const names = disks.map((_, index) => `${image}${index === 0 ? '' : `_${index}`}.vmdk`);
      for (const [index, disk] of disks.entries()) {
        await this.#run(['vmkfstools', '-i', `${nodeDir}/${disk.file}`, `${temporary}/${names[index]}`, '-d', 'thin'], options);
      }
      await this.#runner.writeFile(`${temporary}/${image}.vmx`, formatVmx(vmxForCopy(vmx, image, names)), { mode: 0o644, signal: options.signal });
      // Test and rename in one command: the rename never lands inside an image made meanwhile.
      const moved = await this.#run(sh`test ! -e ${final} && mv ${temporary} ${final}`, options, false);
      if (moved.exitCode !== 0) throw new ImageExistsError(image, this.#images);
    } catch (error) {
      await this.#run(['rm', '-rf', temporary], { signal: AbortSignal.timeout(120_000) }).catch(() => undefined);
      throw error;
    }
    const info = await this.imageInfo(image, options);
    if (info === undefined) throw new InvalidStateError(`image ${image} vanished right after capture`);
    return { virtualBytes: info.virtualBytes, allocatedBytes: info.allocatedBytes };
  }

  async close(): Promise<void> {}
}
