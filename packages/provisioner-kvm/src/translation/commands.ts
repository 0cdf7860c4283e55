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
    domInfo: (name: string) => virsh(uri, 'dominfo', '--domain', name),
    dumpXml: (name: string) => virsh(uri, 'dumpxml', '--domain', name),
    listAllNames: () => virsh(uri, 'list', '--all', '--name'),
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
