import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandFailedError, sh } from '@provkit/core';
import { LocalRunner } from '@provkit/runners';
import { KvmHost, type DiskWriteOptions, type HostCallOptions } from '../src/kvm-host.ts';
import type { CaptureRecord } from '../src/translation/capture-record.ts';
import type { QemuImageInfo } from '../src/translation/qemu-img-info.ts';
import { parseProvkitRecord, type BlockDevice, type DomainState, type ProvkitRecord } from '../src/translation/virsh-output.ts';

/** A domain of the simulated libvirt. */
export interface FakeDomain {
  name: string;
  state: DomainState;
  xml: string;
  disks: string[];
  captureRecord?: CaptureRecord;
  /** A guest that ignores the power button: `virsh shutdown` succeeds and it keeps running. */
  ignoresShutdown?: boolean;
}

/** The calls a test can intercept: each runs before the simulated effect, and may throw or wait. */
export type FakeHostCall = 'define' | 'start' | 'shutdown' | 'destroy' | 'undefine' | 'reset' | 'createOverlay' | 'convert' | 'domainState' | 'remove';

/** What a fake qcow2 file holds: the facts `qemu-img info` would print, as JSON. */
interface FakeImage {
  virtualBytes: number;
  backing?: string;
  /** Written by a compressing convert (`qemu-img convert -c`). */
  compressed?: boolean;
}

/**
 * A libvirt host for unit tests: a {@link KvmHost} on this machine whose `virsh` and `qemu-img`
 * are simulated in memory, while everything else is real — files (disks hold a small JSON text
 * instead of qcow2), the intent records, and the `flock` host locks, all under a temporary
 * directory, through a {@link LocalRunner}. Two provisioners given one FakeKvmHost are two
 * orchestrators sharing a host: their in-process mutexes differ, the host locks are shared.
 *
 * Not a replacement for the lab: the commands and parsers are tested on real output in
 * `src/translation/`, and the real virsh and qemu-img run in `lab-tests/`.
 */
export class FakeKvmHost extends KvmHost {
  readonly root: string;
  readonly libraryDir: string;
  readonly nodeDiskDir: string;
  readonly domains = new Map<string, FakeDomain>();
  /** Every simulated call, in order (`start web-1`, `createOverlay /…/web-1.qcow2`, …). */
  readonly calls: string[] = [];
  readonly #intercepts = new Map<FakeHostCall, Array<(subject: string) => Promise<void> | void>>();

  constructor() {
    super(new LocalRunner(), 'test:///fake');
    this.root = mkdtempSync(join(tmpdir(), 'provkit-fake-kvm-'));
    this.libraryDir = join(this.root, 'library');
    this.nodeDiskDir = join(this.root, 'nodes');
    mkdirSync(this.libraryDir);
    mkdirSync(this.nodeDiskDir);
  }

  /** Removes the temporary directory. */
  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Puts a standalone image into the library. */
  addImage(name: string, virtualBytes = 1024 ** 3): string {
    const path = `${this.libraryDir}/${name}.qcow2`;
    writeFileSync(path, JSON.stringify({ virtualBytes } satisfies FakeImage));
    return path;
  }

  /**
   * Runs `hook` before every simulated `call` (with the domain name or file path it is about)
   * until the returned function is called: to fail a step, or to hold it while another
   * orchestrator acts.
   */
  intercept(call: FakeHostCall, hook: (subject: string) => Promise<void> | void): () => void {
    const hooks = this.#intercepts.get(call) ?? [];
    hooks.push(hook);
    this.#intercepts.set(call, hooks);
    return () => hooks.splice(hooks.indexOf(hook), 1);
  }

  async #call(call: FakeHostCall, subject: string): Promise<void> {
    this.calls.push(`${call} ${subject}`);
    for (const hook of [...(this.#intercepts.get(call) ?? [])]) await hook(subject);
  }

  #domain(name: string): FakeDomain {
    const domain = this.domains.get(name);
    if (!domain) throw this.#virshFailed(`error: failed to get domain '${name}'`);
    return domain;
  }

  #virshFailed(stderr: string): CommandFailedError {
    return new CommandFailedError({ command: 'virsh (simulated)', target: this.runner.target, exitCode: 1, stderrTail: stderr });
  }

  // ---- virsh ---------------------------------------------------------------------------

  override async domainState(name: string): Promise<DomainState | undefined> {
    await this.#call('domainState', name);
    return this.domains.get(name)?.state;
  }

  override async domainStates(): Promise<Map<string, DomainState>> {
    return new Map([...this.domains.values()].map((domain) => [domain.name, domain.state]));
  }

  override async recordedImages(names: readonly string[]): Promise<Map<string, string | undefined>> {
    return new Map(names.filter((name) => this.domains.has(name)).map((name) => [name, parseProvkitRecord(this.domains.get(name)!.xml).image]));
  }

  override async define(domainXml: string): Promise<void> {
    const name = /<name>([^<]*)<\/name>/.exec(domainXml)?.[1];
    if (!name) throw this.#virshFailed('error: XML error: missing name');
    await this.#call('define', name);
    const disks = [...domainXml.matchAll(/<source file=["']([^"']+)["']/g)].map((match) => match[1]!);
    const old = this.domains.get(name);
    this.domains.set(name, { name, state: old?.state ?? 'shut off', xml: domainXml, disks });
  }

  override async start(name: string): Promise<void> {
    await this.#call('start', name);
    const domain = this.#domain(name);
    if (domain.state === 'running') throw this.#virshFailed('error: Requested operation is not valid: domain is already active');
    for (const disk of domain.disks) {
      if (!(await this.fileExists(disk))) throw this.#virshFailed(`error: Cannot access storage file '${disk}': No such file or directory`);
    }
    domain.state = 'running';
  }

  /** The guest obeys at once: the simulated ACPI shutdown ends with the domain off. */
  override async shutdown(name: string): Promise<void> {
    await this.#call('shutdown', name);
    const domain = this.#domain(name);
    if (domain.state !== 'running') throw this.#virshFailed('error: Requested operation is not valid: domain is not running');
    if (!domain.ignoresShutdown) domain.state = 'shut off';
  }

  override async destroy(name: string): Promise<void> {
    await this.#call('destroy', name);
    const domain = this.domains.get(name);
    if (domain) domain.state = 'shut off';
  }

  override async reset(name: string): Promise<void> {
    await this.#call('reset', name);
    if (this.#domain(name).state !== 'running') throw this.#virshFailed('error: Requested operation is not valid: domain is not running');
  }

  override async undefine(name: string): Promise<void> {
    await this.#call('undefine', name);
    const domain = this.domains.get(name);
    if (domain?.state === 'running') throw this.#virshFailed('error: Requested operation is not valid: cannot undefine a running domain in this simulation');
    this.domains.delete(name);
  }

  override async blockDevices(name: string): Promise<BlockDevice[]> {
    return this.#domain(name).disks.map((source, index) => ({ type: 'file', device: 'disk', target: `vd${String.fromCharCode(97 + index)}`, source }));
  }

  override async provkitRecord(name: string): Promise<ProvkitRecord> {
    return parseProvkitRecord(this.#domain(name).xml);
  }

  override async captureRecord(name: string): Promise<CaptureRecord | undefined> {
    return this.#domain(name).captureRecord;
  }

  override async setCaptureRecord(name: string, record: CaptureRecord): Promise<void> {
    this.#domain(name).captureRecord = record;
  }

  override async clearCaptureRecord(name: string): Promise<void> {
    delete this.#domain(name).captureRecord;
  }

  // ---- qemu-img ------------------------------------------------------------------------

  #read(path: string): FakeImage | undefined {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as FakeImage;
    } catch {
      return undefined;
    }
  }

  #info(path: string, image: FakeImage): QemuImageInfo {
    return { filename: path, format: 'qcow2', virtualBytes: image.virtualBytes, allocatedBytes: 4096, ...(image.backing ? { backingFilename: image.backing, fullBackingFilename: image.backing, backingFormat: 'qcow2' } : {}) };
  }

  override async imageInfo(path: string, options: HostCallOptions & { backingChain?: boolean } = {}): Promise<QemuImageInfo[] | undefined> {
    const chain: QemuImageInfo[] = [];
    for (let at: string | undefined = path; at !== undefined; at = options.backingChain ? chain.at(-1)!.fullBackingFilename : undefined) {
      const image = this.#read(at);
      if (!image) return chain.length === 0 ? undefined : chain;
      chain.push(this.#info(at, image));
    }
    return chain;
  }

  override async imageInfos(paths: readonly string[]): Promise<{ infos: Map<string, QemuImageInfo>; unreadable: string[] }> {
    const infos = new Map<string, QemuImageInfo>();
    const unreadable: string[] = [];
    for (const path of paths) {
      const image = this.#read(path);
      if (image) infos.set(path, this.#info(path, image));
      else unreadable.push(path);
    }
    return { infos, unreadable };
  }

  /**
   * Writes `target` from `source` as qemu-img would, in one real shell command: the caller's
   * `before` text first (the image's `flock` and its check, held until the command exits, as on
   * a real host), then a missing source fails as qemu-img fails, else the fake image is written.
   */
  async #write(call: 'createOverlay' | 'convert', source: string, target: string, image: (from: FakeImage) => FakeImage, options: DiskWriteOptions): Promise<void> {
    await this.#call(call, target);
    const from = this.#read(source);
    const write = sh`test -f ${source} || { echo ${`qemu-img: Could not open '${source}': No such file or directory`} >&2; exit 1; }; cat >${target}`;
    const command = options.before ? sh`${options.before}${write}` : write;
    await this.writing(target, () => this.runner.run(command, { ...options, stdin: from ? JSON.stringify(image(from)) : '' }), { source, missing: options.missing });
  }

  override async createOverlay(backing: string, overlay: string, sizeBytes: number | undefined, options: DiskWriteOptions = {}): Promise<void> {
    await this.#write('createOverlay', backing, overlay, (from) => ({ virtualBytes: sizeBytes ?? from.virtualBytes, backing }), options);
  }

  override async convert(source: string, target: string, options: DiskWriteOptions & { compress?: boolean } = {}): Promise<void> {
    await this.#write('convert', source, target, (from) => ({ virtualBytes: from.virtualBytes, ...(options.compress ? { compressed: true } : {}) }), options);
  }

  override async resize(path: string, sizeBytes: number): Promise<void> {
    const image = this.#read(path);
    if (!image) throw new CommandFailedError({ command: 'qemu-img (simulated) resize', target: this.runner.target, exitCode: 1, stderrTail: `qemu-img: Could not open '${path}'` });
    writeFileSync(path, JSON.stringify({ ...image, virtualBytes: sizeBytes }));
  }

  override async remove(paths: readonly string[], options: HostCallOptions = {}): Promise<void> {
    for (const path of paths) await this.#call('remove', path);
    await super.remove(paths, options);
  }
}
