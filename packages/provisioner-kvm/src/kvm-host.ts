import { randomBytes } from 'node:crypto';
import { CommandFailedError, HostStorageFullError, ProvkitError, sh, type ShellFragment } from '@provkit/core';
import { tail, type CommandResult, type CommandRunner } from '@provkit/runners';
import { buildCaptureRecord, CAPTURE_RECORD_KEY, CAPTURE_RECORD_NAMESPACE, diskFingerprintCommand, isNoMetadata, parseCaptureRecord, type CaptureRecord } from './translation/capture-record.ts';
import { fileCommands, leftoverCommands, overlayFromTemplate, qemuImgConvert, qemuImgInfo, qemuImgResize, virshCommands } from './translation/commands.ts';
import { parseLeftoverListing, parseProcessList, parseSha256sum, type LeftoverListingKind } from './translation/base-tools-output.ts';
import { isNoSpaceLeft, isNoSuchFile } from './translation/host-failure.ts';
import { parseImageInfoLines, parseQemuImgInfo, type QemuImageInfo } from './translation/qemu-img-info.ts';
import { isNoSuchDomain, parseDomainList, parseDomBlkList, parseDomState, parseNameList, parseProvkitRecord, parseRecordedImages, type BlockDevice, type ProvkitRecord, type DomainState } from './translation/virsh-output.ts';

/**
 * Where the pristine overlays of a library image are kept: `<library>/.provkit/overlay-templates/<image>/`
 * (beside the image lock files, hidden from the library's listing; removed with the image).
 */
export function overlayTemplateDir(imagePath: string): string {
  const slash = imagePath.lastIndexOf('/');
  const file = imagePath.slice(slash + 1);
  return `${imagePath.slice(0, slash)}/.provkit/overlay-templates/${file.endsWith('.qcow2') ? file.slice(0, -'.qcow2'.length) : file}`;
}

/** Options every host call takes. */
export interface HostCallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
}

/** Options of {@link KvmHost.createOverlay} and {@link KvmHost.convert}. */
export interface DiskWriteOptions extends HostCallOptions {
  /** Names the caller's error for a source file that is gone. */
  missing?: () => Error;
  /**
   * Shell text run first in the same command (ending in a newline or `;`), e.g. a lock the
   * write needs and a check that must hold under it: one round trip for the whole step. Its
   * own failures are the caller's to recognise.
   */
  before?: ShellFragment;
}

/**
 * The libvirt host as typed calls: each runs one `virsh`/`qemu-img`/coreutils command through
 * the command runner (SSH to the host, or local) and parses its output with the pure
 * translation layer. It holds no state of its own.
 */
export class KvmHost {
  readonly runner: CommandRunner;
  readonly uri: string;
  readonly #virsh: ReturnType<typeof virshCommands>;

  constructor(runner: CommandRunner, uri: string) {
    this.runner = runner;
    this.uri = uri;
    this.#virsh = virshCommands(uri);
  }

  /** The domain's state, or undefined when no such domain is defined. */
  async domainState(name: string, options: HostCallOptions = {}): Promise<DomainState | undefined> {
    const result = await this.runner.run(this.#virsh.domState(name), { ...options, check: false });
    if (result.exitCode !== 0 && isNoSuchDomain(result.stderr)) return undefined;
    if (result.exitCode !== 0) throw this.failed(result);
    return parseDomState(result.stdout).state;
  }

  /** Every defined domain and its state, from one command. */
  async domainStates(options: HostCallOptions = {}): Promise<Map<string, DomainState>> {
    return parseDomainList((await this.runner.run(this.#virsh.listAll(), options)).stdout);
  }

  /** The image recorded at load for each of `names` (defined domains), from one command. */
  async recordedImages(names: readonly string[], options: HostCallOptions = {}): Promise<Map<string, string | undefined>> {
    if (names.length === 0) return new Map();
    return parseRecordedImages((await this.runner.run(this.#virsh.dumpXmlOfEach(names), options)).stdout);
  }

  /** Defines a domain from XML passed on standard input. */
  async define(domainXml: string, options: HostCallOptions = {}): Promise<void> {
    await this.runner.run(this.#virsh.defineFromStdin(), { ...options, stdin: domainXml });
  }

  async start(name: string, options: HostCallOptions = {}): Promise<void> {
    await this.runner.run(this.#virsh.start(name), options);
  }

  /** Asks the guest to shut down (ACPI power button). */
  async shutdown(name: string, options: HostCallOptions = {}): Promise<void> {
    await this.runner.run(this.#virsh.shutdown(name), options);
  }

  /** Pulls the plug; a domain that is already off is not an error. */
  async destroy(name: string, options: HostCallOptions = {}): Promise<void> {
    const result = await this.runner.run(this.#virsh.destroy(name), { ...options, check: false });
    if (result.exitCode === 0 || isNoSuchDomain(result.stderr) || /domain is not running/i.test(result.stderr)) return;
    throw this.failed(result);
  }

  async reset(name: string, options: HostCallOptions = {}): Promise<void> {
    await this.runner.run(this.#virsh.reset(name), options);
  }

  /** Removes the definition; an undefined domain is not an error. */
  async undefine(name: string, options: HostCallOptions = {}): Promise<void> {
    const result = await this.runner.run(this.#virsh.undefine(name), { ...options, check: false });
    if (result.exitCode === 0 || isNoSuchDomain(result.stderr)) return;
    throw this.failed(result);
  }

  async blockDevices(name: string, options: HostCallOptions = {}): Promise<BlockDevice[]> {
    return parseDomBlkList((await this.runner.run(this.#virsh.domBlkList(name), options)).stdout);
  }

  /** The image provkit recorded in the domain's metadata at load. */
  async recordedImage(name: string, options: HostCallOptions = {}): Promise<string | undefined> {
    return (await this.provkitRecord(name, options)).image;
  }

  /** provkit's marker on the domain: whether provkit defined it, and the image recorded then. */
  async provkitRecord(name: string, options: HostCallOptions = {}): Promise<ProvkitRecord> {
    return parseProvkitRecord((await this.runner.run(this.#virsh.dumpXml(name), options)).stdout);
  }

  /** The image and its backing chain, or undefined when the file does not exist. */
  async imageInfo(path: string, options: HostCallOptions & { backingChain?: boolean } = {}): Promise<QemuImageInfo[] | undefined> {
    if (!(await this.fileExists(path, options))) return undefined;
    const result = await this.runner.run(qemuImgInfo(path, { backingChain: options.backingChain ?? false }), { ...options, check: false });
    // Deleted between the check and the read (another process's deleteImage): absent, as the check would have said.
    if (result.exitCode !== 0 && isNoSuchFile(result.stderr, path)) return undefined;
    if (result.exitCode !== 0) throw this.failed(result);
    return parseQemuImgInfo(result.stdout);
  }

  /**
   * A qcow2 overlay on `backing`, copied from the image's pristine overlay in the library's
   * hidden `.provkit/overlay-templates/<image>/` (made by qemu-img on the image's first load).
   * A backing file that is gone (deleted since the caller checked) is `missing` for the caller
   * to name; a full filesystem is `HostStorageFullError`.
   */
  async createOverlay(backing: string, overlay: string, sizeBytes: number | undefined, options: DiskWriteOptions = {}): Promise<void> {
    const command = overlayFromTemplate({ backing, overlay, sizeBytes, templateDir: overlayTemplateDir(backing) });
    await this.writing(overlay, () => this.runner.run(withBefore(command, options.before), options), { source: backing, missing: options.missing });
  }

  /** Flattens `source` into a standalone qcow2 at `target` (`compress`: compressed clusters). Like {@link createOverlay}: a `source` that is gone is `missing`, a full filesystem `HostStorageFullError`. */
  async convert(source: string, target: string, options: DiskWriteOptions & { compress?: boolean } = {}): Promise<void> {
    const command = sh`${qemuImgConvert(source, target, { compress: options.compress ?? false })}`;
    await this.writing(target, () => this.runner.run(withBefore(command, options.before), options), { source, missing: options.missing });
  }

  async resize(path: string, sizeBytes: number, options: HostCallOptions = {}): Promise<void> {
    await this.writing(path, () => this.runner.run(qemuImgResize(path, sizeBytes), options));
  }

  /**
   * Runs a command that writes `path`, giving the two failures callers act on their own codes:
   * the filesystem filled up (`HostStorageFullError`), and the file read from (`source`) does
   * not exist (the caller's `missing()`, e.g. `ImageNotFoundError`).
   */
  async writing<T>(path: string, write: () => Promise<T>, { source, missing }: { source?: string | undefined; missing?: (() => Error) | undefined } = {}): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!ProvkitError.hasCode(error, 'COMMAND_FAILED')) throw error;
      const stderr = error.stderrTail ?? '';
      if (isNoSpaceLeft(stderr)) throw new HostStorageFullError(this.runner.target, path, { cause: error });
      if (source !== undefined && missing && isNoSuchFile(stderr, source)) throw Object.assign(missing(), { cause: error });
      throw error;
    }
  }

  /** The capture record on a domain's persistent definition, or undefined when it has none. */
  async captureRecord(name: string, options: HostCallOptions = {}): Promise<CaptureRecord | undefined> {
    const result = await this.runner.run(this.#virsh.metadata(name, CAPTURE_RECORD_NAMESPACE), { ...options, check: false });
    if (result.exitCode !== 0 && isNoMetadata(result.stderr)) return undefined;
    if (result.exitCode !== 0) throw this.failed(result);
    return parseCaptureRecord(result.stdout);
  }

  /** Writes (replaces) the capture record in the domain's persistent definition. */
  async setCaptureRecord(name: string, record: CaptureRecord, options: HostCallOptions = {}): Promise<void> {
    await this.runner.run(this.#virsh.setMetadata(name, CAPTURE_RECORD_NAMESPACE, CAPTURE_RECORD_KEY, buildCaptureRecord(record)), options);
  }

  /** Removes the capture record; none is fine. */
  async clearCaptureRecord(name: string, options: HostCallOptions = {}): Promise<void> {
    await this.runner.run(this.#virsh.removeMetadata(name, CAPTURE_RECORD_NAMESPACE, CAPTURE_RECORD_KEY), options);
  }

  /** Size and modification time of a file (see `diskFingerprintCommand`). */
  async fileFingerprint(path: string, options: HostCallOptions = {}): Promise<string> {
    return (await this.runner.run(diskFingerprintCommand(path), options)).stdout.trim();
  }

  /** Whether `path` is a regular file. */
  async fileExists(path: string, options: HostCallOptions = {}): Promise<boolean> {
    return (await this.runner.run(fileCommands.isFile(path), { ...options, check: false })).exitCode === 0;
  }

  /** Deletes files; missing ones are fine. */
  async remove(paths: readonly string[], options: HostCallOptions = {}): Promise<void> {
    if (paths.length > 0) await this.runner.run(fileCommands.remove(paths), options);
  }

  /** Deletes directories and everything in them; missing ones are fine. */
  async removeTrees(paths: readonly string[], options: HostCallOptions = {}): Promise<void> {
    if (paths.length > 0) await this.runner.run(fileCommands.removeTrees(paths), options);
  }

  /** Deletes the files directly in `directory` whose names match the glob `pattern`; returns their paths. */
  async removeMatching(directory: string, pattern: string, options: HostCallOptions = {}): Promise<string[]> {
    return parseNameList((await this.runner.run(fileCommands.removeMatching(directory, pattern), options)).stdout);
  }

  /** Writes `text` to `path` (its directory made first), replacing what was there. */
  async writeText(path: string, text: string, options: HostCallOptions = {}): Promise<void> {
    await this.writing(path, () => this.runner.run(fileCommands.write(path), { ...options, stdin: text }));
  }

  /** The text of the file at `path`, or undefined when there is none (or it is empty). */
  async readText(path: string, options: HostCallOptions = {}): Promise<string | undefined> {
    const { stdout } = await this.runner.run(fileCommands.readIfAny(path), options);
    return stdout === '' ? undefined : stdout;
  }

  /**
   * Gives `from` the name `to` only if `to` does not exist yet: a hard link fails on an
   * existing name, so two racing captures can never overwrite each other. Returns false when
   * `to` existed (and leaves `from` in place for the caller to delete).
   */
  async renameNoClobber(from: string, to: string, options: HostCallOptions = {}): Promise<boolean> {
    // Writing back a file's cached pages is where a full filesystem can show up last.
    await this.writing(from, () => this.runner.run(fileCommands.sync(from), options));
    const linked = await this.runner.run(fileCommands.link(from, to), { ...options, check: false });
    if (linked.exitCode !== 0) {
      if ((await this.runner.run(fileCommands.exists(to), { ...options, check: false })).exitCode === 0) return false;
      await this.runner.run(fileCommands.link(from, to), options);
    }
    await this.runner.run(fileCommands.unlinkAndSync(from, to), options);
    return true;
  }

  /** Names (not paths) of the regular files in `directory` ending in `suffix`. */
  async listFiles(directory: string, suffix: string, options: HostCallOptions = {}): Promise<string[]> {
    return parseNameList((await this.runner.run(fileCommands.listFiles(directory, `*${suffix}`), options)).stdout).sort();
  }

  /**
   * qemu-img info of every file in `paths`, in one command (library listings, in-use checks).
   * Files qemu-img could not read (vanished, corrupt, unreadable) come back in `unreadable`
   * rather than being dropped, so a caller deciding "is anything using this image?" can refuse
   * to guess.
   */
  async imageInfos(paths: readonly string[], options: HostCallOptions = {}): Promise<{ infos: Map<string, QemuImageInfo>; unreadable: string[] }> {
    if (paths.length === 0) return { infos: new Map(), unreadable: [] };
    return parseImageInfoLines((await this.runner.run(fileCommands.imageInfoLines(paths), options)).stdout);
  }

  /** The file's SHA-256, hex. */
  async sha256(path: string, options: HostCallOptions = {}): Promise<string> {
    return parseSha256sum((await this.runner.run(fileCommands.sha256(path), options)).stdout, path);
  }

  /** The node directory's files, the intent records and the library's hidden partial copies, in one command. */
  async leftoverListing(dirs: { nodeDiskDir: string; stateDir: string; libraryDir: string }, options: HostCallOptions = {}): Promise<Array<{ kind: LeftoverListingKind; name: string }>> {
    return parseLeftoverListing((await this.runner.run(leftoverCommands.listing(dirs), options)).stdout);
  }

  /** Running `qemu-img` processes whose command line names a file in one of `directories`. */
  async qemuImgProcesses(directories: readonly string[], options: HostCallOptions = {}): Promise<Array<{ pid: number; command: string }>> {
    return parseProcessList((await this.runner.run(leftoverCommands.qemuImgProcesses(directories), options)).stdout);
  }

  /** SIGKILLs a process; one already gone is fine. */
  async kill(pid: number, options: HostCallOptions = {}): Promise<void> {
    await this.runner.run(leftoverCommands.kill(pid), options);
  }

  /** The error of a command run with `check: false` whose exit the caller did not expect. */
  failed(result: CommandResult): CommandFailedError {
    return new CommandFailedError({ command: result.command, target: this.runner.target, exitCode: result.exitCode, stderrTail: tail(result.stderr) });
  }
}

/** `command` with the caller's shell text (a lock, a check) run first in the same round trip. */
function withBefore(command: ShellFragment, before: ShellFragment | undefined): ShellFragment {
  return before ? sh`${before}${command}` : command;
}

/** A temp file name beside `finalPath`, hidden (leading dot) so listings never show it as an image. */
export function tempPathFor(directory: string, name: string): string {
  return `${directory}/.${name}.part-${randomBytes(4).toString('hex')}`;
}
