/**
 * Parsers of `vim-cmd`, `vmkfstools` and `du` output as an ESXi prints it (formats from
 * VMware's documentation and KB articles; no live ESXi runs in the lab). Pure.
 */
import type { PowerState } from '@provkit/core';

/** One registered VM of `vim-cmd vmsvc/getallvms`. */
export interface RegisteredVm {
  vmid: string;
  name: string;
  /** Datastore path of the .vmx, `[datastore1] web-1/web-1.vmx`. */
  file: string;
  guestOs: string;
  version: string;
}

const GETALLVMS_ROW = /^(\d+)\s+(.+?)\s+(\[[^\]]+\]\s+\S.*?\.vmx)\s+(\S+)\s+(vmx-\d+)\b/;

/** Parses `vim-cmd vmsvc/getallvms` (a header line, then one row per VM; annotation lines are skipped). */
export function parseGetAllVms(output: string): RegisteredVm[] {
  const vms: RegisteredVm[] = [];
  for (const line of output.split('\n')) {
    const match = GETALLVMS_ROW.exec(line.trimEnd());
    if (match) vms.push({ vmid: match[1]!, name: match[2]!, file: match[3]!, guestOs: match[4]!, version: match[5]! });
  }
  return vms;
}

/** Parses `vim-cmd vmsvc/power.getstate <vmid>` ("Retrieved runtime info" then "Powered on"). */
export function parsePowerState(output: string): PowerState {
  const line = output.split('\n').map((entry) => entry.trim()).find((entry) => /^(Powered on|Powered off|Suspended)$/.test(entry));
  return line === 'Powered on' ? 'on' : line === 'Powered off' ? 'off' : line === 'Suspended' ? 'suspended' : 'unknown';
}

/** What `vim-cmd vmsvc/get.guest <vmid>` says about Tools and the address. */
export interface GuestReport {
  toolsRunning: boolean;
  ipAddress?: string;
}

/** Parses the top level of the `(vim.vm.GuestInfo)` dump (nested NIC addresses are indented deeper). */
export function parseGuestInfo(output: string): GuestReport {
  const topLevel = (key: string): string | undefined => {
    const match = new RegExp(`^ {3}${key} = "([^"]*)"`, 'm').exec(output);
    return match?.[1];
  };
  const ipAddress = topLevel('ipAddress');
  return { toolsRunning: topLevel('toolsRunningStatus') === 'guestToolsRunning', ...(ipAddress ? { ipAddress } : {}) };
}

/** Parses the vmid `vim-cmd solo/registervm` prints. */
export function parseRegisteredVmid(output: string): string {
  const vmid = output.trim().split('\n').pop()?.trim() ?? '';
  if (!/^\d+$/.test(vmid)) throw new SyntaxError(`registervm printed no vmid: ${JSON.stringify(output.slice(0, 200))}`);
  return vmid;
}

/** Extents of a VMDK descriptor (`RW 41943040 VMFS "web-1-flat.vmdk"`): the virtual size is their sum. */
export function parseVmdkDescriptor(text: string): { virtualBytes: number; extents: string[] } {
  let sectors = 0;
  const extents: string[] = [];
  for (const match of text.matchAll(/^(?:RW|RDONLY|NOACCESS)\s+(\d+)\s+\S+\s+"([^"]+)"/gm)) {
    sectors += Number(match[1]);
    extents.push(match[2]!);
  }
  if (extents.length === 0) throw new SyntaxError('not a VMDK descriptor: no extent lines');
  return { virtualBytes: sectors * 512, extents };
}

/** Parses `du -sk <dir>`: the first number, in KiB, as bytes. */
export function parseDuKilobytes(output: string): number {
  const match = /^(\d+)\s/m.exec(output);
  if (!match) throw new SyntaxError(`du printed no size: ${JSON.stringify(output.slice(0, 200))}`);
  return Number(match[1]) * 1024;
}

/** Splits a datastore path `[datastore1] web-1/web-1.vmx` into datastore and relative path. */
export function parseDatastorePath(path: string): { datastore: string; relative: string } {
  const match = /^\[([^\]]+)\]\s*(.*)$/.exec(path);
  if (!match) throw new SyntaxError(`not a datastore path: ${path}`);
  return { datastore: match[1]!, relative: match[2]! };
}
