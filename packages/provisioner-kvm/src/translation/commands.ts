/**
 * Command lines the provisioner runs on the host, as argv arrays (the runner quotes each word)
 * or, where one shell line does a step in one round trip, as a fragment built with core's `sh`.
 * Pure: unit-tested for the exact words, never pasted into a string.
 */
import { sh, type ShellFragment } from '@provkit/core';

/** `virsh` against one libvirt URI. */
export function virsh(uri: string, ...args: string[]): string[] {
  return ['virsh', '--quiet', '--connect', uri, ...args];
}

/** Commands of one libvirt connection. */
export function virshCommands(uri: string) {
  return {
    domState: (name: string) => virsh(uri, 'domstate', '--reason', '--domain', name),
    dumpXml: (name: string) => virsh(uri, 'dumpxml', '--domain', name),
    /** Every defined domain with its state, in one call. */
    listAll: () => virsh(uri, 'list', '--all'),
    /**
     * The XML of several domains from one virsh process (one libvirt connection): virsh runs a
     * `;`-separated command list. Names are validated node names, so they need no virsh quoting.
     */
    dumpXmlOfEach: (names: readonly string[]) => virsh(uri, names.map((name) => `dumpxml --domain ${name}`).join(' ; ')),
    /** Reads the XML from standard input, so no temp file is left on the host. */
    defineFromStdin: () => virsh(uri, 'define', '--file', '/dev/stdin'),
    start: (name: string) => virsh(uri, 'start', '--domain', name),
    shutdown: (name: string) => virsh(uri, 'shutdown', '--domain', name, '--mode', 'acpi'),
    destroy: (name: string) => virsh(uri, 'destroy', '--domain', name),
    reset: (name: string) => virsh(uri, 'reset', '--domain', name),
    undefine: (name: string) => virsh(uri, 'undefine', '--domain', name),
    domBlkList: (name: string) => virsh(uri, 'domblklist', '--domain', name, '--details'),
    /** The `<metadata>` element of namespace `namespace` in the persistent definition. */
    metadata: (name: string, namespace: string) => virsh(uri, 'metadata', '--domain', name, '--uri', namespace, '--config'),
    /** Replaces that element (the persistent definition only: it outlives the running guest). */
    setMetadata: (name: string, namespace: string, key: string, element: string) => virsh(uri, 'metadata', '--domain', name, '--uri', namespace, '--key', key, '--set', element, '--config'),
    removeMetadata: (name: string, namespace: string, key: string) => virsh(uri, 'metadata', '--domain', name, '--uri', namespace, '--key', key, '--remove', '--config'),
  };
}

/** `qemu-img info` as JSON; `--force-share` reads images a running QEMU holds. */
export function qemuImgInfo(path: string, options: { backingChain?: boolean } = {}): string[] {
  return ['qemu-img', 'info', '--force-share', '--output=json', ...(options.backingChain ? ['--backing-chain'] : []), path];
}

/** A qcow2 overlay on `backing` (absolute, so the overlay is valid wherever it is read from). */
export function qemuImgCreateOverlay(backing: string, overlay: string, sizeBytes?: number): string[] {
  return ['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', backing, overlay, ...(sizeBytes === undefined ? [] : [String(sizeBytes)])];
}

/**
 * A qcow2 overlay on `backing` made by copying a pristine overlay kept for that image (and that
 * size) under `templateDir`: qemu-img's own start-up (~20 ms of dynamic linking) then happens
 * once per image instead of once per load. Overlays of one backing file and size are identical
 * bytes (qcow2 holds no per-file identity), so a copy is the overlay qemu-img would have made.
 * The template's name carries the backing file's inode, size and change times, so an image
 * replaced under the same name never meets an old template; a new template is written beside
 * and renamed into place, so a reader never sees half of one.
 */
export function overlayFromTemplate(options: { backing: string; overlay: string; sizeBytes?: number | undefined; templateDir: string }): ShellFragment {
  const { backing, overlay, sizeBytes, templateDir } = options;
  const suffix = sizeBytes === undefined ? '' : `.${sizeBytes}`;
  const create = sh`${qemuImgCreateOverlay(backing, overlay, sizeBytes)} && mkdir -p -- ${templateDir} && n=$(mktemp -- "$t.XXXXXX") && { cp -- ${overlay} "$n" && mv -f -- "$n" "$t" || { rm -f -- "$n"; false; }; }`;
  return sh`k=$(stat -c %i.%s.%.9Y.%.9Z -- ${backing}) && t=${templateDir}/$k${suffix}.qcow2 && if [ -f "$t" ]; then cp -- "$t" ${overlay}; else ${create}; fi`;
}

/**
 * Flattens `source` and its backing chain into one standalone qcow2 at `target`;
 * `compress` writes compressed clusters (captures, where size beats write speed).
 */
export function qemuImgConvert(source: string, target: string, options: { compress?: boolean } = {}): string[] {
  return ['qemu-img', 'convert', '-q', ...(options.compress ? ['-c'] : []), '-f', 'qcow2', '-O', 'qcow2', source, target];
}

/** Grows an image to `sizeBytes` (never shrinks: the provisioner checks first). */
export function qemuImgResize(path: string, sizeBytes: number): string[] {
  return ['qemu-img', 'resize', '-q', '-f', 'qcow2', path, String(sizeBytes)];
}

/**
 * Lines on the host's files (coreutils and findutils), each a fragment whose paths `sh`
 * quotes. Each does one step in one round trip.
 */
export const fileCommands = {
  /** Exit 0 when `path` is a regular file. */
  isFile: (path: string) => sh`test -f ${path}`,
  /** Exit 0 when anything exists at `path`. */
  exists: (path: string) => sh`test -e ${path}`,
  /** Deletes files; missing ones are fine. */
  remove: (paths: readonly string[]) => sh`rm -f -- ${paths}`,
  /** Deletes directories and everything in them; missing ones are fine. */
  removeTrees: (paths: readonly string[]) => sh`rm -rf -- ${paths}`,
  /** Writes the file's cached pages back (where a full filesystem can show up last). */
  sync: (path: string) => sh`sync -- ${path}`,
  /** A hard link: fails on an existing `to`, so it never overwrites. */
  link: (from: string, to: string) => sh`ln -- ${from} ${to}`,
  /** Drops the old name of a linked file and makes the new one durable. */
  unlinkAndSync: (from: string, to: string) => sh`rm -f -- ${from} && sync -- ${to}`,
  /** Names (`%f`) of the regular files directly in `directory` matching the glob `pattern`, one a line. */
  listFiles: (directory: string, pattern: string) => sh`find ${directory} -maxdepth 1 -type f -name ${pattern} -printf '%f\\n'`,
  /** Deletes the regular files directly in `directory` matching `pattern`; prints each path removed. */
  removeMatching: (directory: string, pattern: string) => sh`find ${directory} -maxdepth 1 -type f -name ${pattern} -print -delete`,
  /** Writes standard input to `path`, making its directory first. */
  write: (path: string) => sh`mkdir -p -- ${path.slice(0, path.lastIndexOf('/')) || '/'} && cat >${path}`,
  /** The file's text; nothing (and exit 0) when it does not exist. */
  readIfAny: (path: string) => sh`cat -- ${path} 2>/dev/null || true`,
  sha256: (path: string) => sh`sha256sum -- ${path}`,
  /**
   * `qemu-img info` of each path in one command, one JSON document a line, and a line
   * `!<path>` for a file qemu-img failed on (a pipe would hide the failure); read with
   * `parseImageInfoLines`.
   */
  imageInfoLines: (paths: readonly string[]) =>
    sh`for f in ${paths}; do if out=$(qemu-img info --force-share --output=json -- "$f" 2>/dev/null); then printf '%s' "$out" | tr -d '\\n'; echo; else printf '!%s\\n' "$f"; fi; done`,
};

/** Lines of the leftovers sweep (`KvmProvisioner.leftovers`). */
export const leftoverCommands = {
  /**
   * In one command: the node directory's files (`node-file <name>`), the intent records
   * (`intent <path>`) and the library's hidden partial copies (`partial <name>`); read with
   * `parseLeftoverListing`. A state directory not made yet lists nothing.
   */
  listing: (dirs: { nodeDiskDir: string; stateDir: string; libraryDir: string }) =>
    sh`find ${dirs.nodeDiskDir} -maxdepth 1 -type f -printf 'node-file %f\\n'; find ${dirs.stateDir} -maxdepth 1 -type f -name '*.intent.json' -printf 'intent %p\\n' 2>/dev/null; find ${dirs.libraryDir} -maxdepth 1 -type f -name '.*.part-*' -printf 'partial %f\\n'; true`,
  /** `qemu-img` processes whose command line names a file under one of `directories` (`pid args` a line). */
  qemuImgProcesses: (directories: readonly string[]) => sh`ps -eo pid=,args= | grep -F ${directories.flatMap((directory) => ['-e', `${directory}/`])} | grep -F qemu-img | grep -v -F grep || true`,
  /** SIGKILL; a process already gone is fine. */
  kill: (pid: number) => sh`kill -KILL ${String(pid)} 2>/dev/null || true`,
};
