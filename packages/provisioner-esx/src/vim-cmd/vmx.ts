/**
 * A VM's `.vmx` configuration: `key = "value"` lines. Parsed, changed and written back as
 * text (pure); values are quoted with the one escaping rule the format has (`|22` for `"`
 * is VMware's; provkit writes only names and numbers it validated, so it refuses quotes).
 */

import { InvalidEntryError } from '@provkit/core';

/** An ordered list of `.vmx` entries. */
export type Vmx = Array<[key: string, value: string]>;

/** Parses `.vmx` text; comments and blank lines are dropped. */
export function parseVmx(text: string): Vmx {
  const entries: Vmx = [];
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z0-9_.:-]+)\s*=\s*"(.*)"\s*$/.exec(line);
    if (match) entries.push([match[1]!, match[2]!]);
  }
  return entries;
}

/** Writes entries back as `.vmx` text. */
export function formatVmx(vmx: Vmx): string {
  for (const [key, value] of vmx) {
    if (!/^[A-Za-z0-9_.:-]+$/.test(key) || /["\n\r]/.test(value)) throw new RangeError(`refusing to write vmx entry ${JSON.stringify(key)}`);
  }
  return `.encoding = "UTF-8"\n${vmx.filter(([key]) => key !== '.encoding').map(([key, value]) => `${key} = "${value}"`).join('\n')}\n`;
}

/** The value of `key`, if set. */
export function vmxGet(vmx: Vmx, key: string): string | undefined {
  return vmx.find(([entry]) => entry.toLowerCase() === key.toLowerCase())?.[1];
}

/** Sets `key` (replacing it if present, case-insensitively, as ESXi reads keys). */
export function vmxSet(vmx: Vmx, key: string, value: string): Vmx {
  const rest = vmx.filter(([entry]) => entry.toLowerCase() !== key.toLowerCase());
  return [...rest, [key, value]];
}

/** A disk file name in the VM's own directory: no directory part, no `..`, no absolute path. */
const DISK_FILE = /^(?!\.\.?$)[^/\\\0]+\.vmdk$/i;

/**
 * Disk entries: `scsi0:0.fileName = "web-1.vmdk"`. Only disks in the VM's own directory are
 * accepted: an absolute path (`/vmfs/volumes/other/x.vmdk`) or one with a directory part
 * (`../other/x.vmdk`) would make provkit copy or delete files of another VM, so it is refused
 * with InvalidEntryError naming the `.vmx` (`where`) and the key.
 */
export function vmxDisks(vmx: Vmx, where = 'the .vmx'): Array<{ key: string; file: string }> {
  const disks = vmx.filter(([key, value]) => /^(scsi|sata|nvme|ide)\d+:\d+\.fileName$/i.test(key) && /\.vmdk$/i.test(value)).map(([key, file]) => ({ key, file }));
  for (const disk of disks) {
    if (!DISK_FILE.test(disk.file)) throw new InvalidEntryError(where, disk.key, `${JSON.stringify(disk.file)} is not a disk in the VM's own directory (absolute or directory paths are refused)`);
  }
  return disks;
}

/** Identity a copy must not inherit: ESXi generates new ones when they are missing. */
const IDENTITY = [/^uuid\.(bios|location)$/i, /^vc\.uuid$/i, /^ethernet\d+\.generatedAddress(Offset)?$/i, /^sched\.swap\.derivedName$/i, /^migrate\./i, /^checkpoint\./i];

/**
 * The configuration of a copy named `name` whose disks are `diskNames` (in the order of
 * {@link vmxDisks}), without the source's identity, with `extra` entries added.
 */
export function vmxForCopy(source: Vmx, name: string, diskNames: readonly string[], extra: Readonly<Record<string, string>> = {}): Vmx {
  const disks = vmxDisks(source);
  let copy: Vmx = source.filter(([key]) => !IDENTITY.some((pattern) => pattern.test(key)) && !/^provkit\./i.test(key));
  copy = vmxSet(copy, 'displayName', name);
  copy = vmxSet(copy, 'nvram', `${name}.nvram`);
  disks.forEach((disk, index) => (copy = vmxSet(copy, disk.key, diskNames[index]!)));
  for (const [key, value] of Object.entries(extra)) copy = vmxSet(copy, key, value);
  return copy;
}
