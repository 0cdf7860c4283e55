/**
 * Parsers of vim25 response elements into plain data. Pure; unit-tested on envelopes
 * recorded from the simulator (`fixtures/`).
 */
import { child, childText, children, textOf, xsiType, type SoapFault, type XmlNode, type XmlValue } from './envelope.ts';
import type { MoRef } from './xml.ts';

/** Reads a managed object reference element (`<x type="T">value</x>`). */
export function parseMoRef(node: XmlValue | undefined): MoRef | undefined {
  if (node === undefined || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const type = node['@_type'];
  const value = textOf(node);
  return typeof type === 'string' && value ? { type, value } : undefined;
}

function requireMoRef(node: XmlValue | undefined, what: string): MoRef {
  const ref = parseMoRef(node);
  if (ref === undefined) throw new SyntaxError(`vim25 response lacks ${what}`);
  return ref;
}

/** The parts of `ServiceContent` provkit uses. */
export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager: MoRef;
  searchIndex: MoRef;
  sessionManager: MoRef;
  /** The task manager (its `recentTask`); every vCenter and ESXi has one. */
  taskManager?: MoRef;
  about: { fullName: string; apiType: string; apiVersion: string };
}

/** Parses `RetrieveServiceContentResponse`. */
export function parseServiceContent(response: XmlNode): ServiceContent {
  const content = child(response, 'returnval');
  const about = child(content, 'about');
  return {
    rootFolder: requireMoRef(content?.['rootFolder'], 'rootFolder'),
    propertyCollector: requireMoRef(content?.['propertyCollector'], 'propertyCollector'),
    viewManager: requireMoRef(content?.['viewManager'], 'viewManager'),
    searchIndex: requireMoRef(content?.['searchIndex'], 'searchIndex'),
    sessionManager: requireMoRef(content?.['sessionManager'], 'sessionManager'),
    ...(parseMoRef(content?.['taskManager']) ? { taskManager: parseMoRef(content?.['taskManager'])! } : {}),
    about: { fullName: childText(about, 'fullName') ?? '', apiType: childText(about, 'apiType') ?? '', apiVersion: childText(about, 'apiVersion') ?? '' },
  };
}

/** The single `returnval` reference of a response (a task, a view, a found entity), or undefined. */
export function parseReturnedMoRef(response: XmlNode): MoRef | undefined {
  return parseMoRef(response['returnval']);
}

/** One object's properties, by property path, as raw XML values (decode with the `decode*` helpers). */
export interface ObjectContent {
  obj: MoRef;
  props: Record<string, XmlValue>;
  /** Paths that could not be read (`missingSet`), e.g. for lack of permission. */
  missing: string[];
}

/** A page of `RetrievePropertiesEx`: objects, and a token when more pages follow. */
export interface RetrieveResult {
  objects: ObjectContent[];
  token?: string;
}

function parseObjectContent(node: XmlValue): ObjectContent {
  const props: Record<string, XmlValue> = {};
  for (const prop of children(node, 'propSet')) {
    const name = childText(prop, 'name');
    const value = typeof prop === 'object' && !Array.isArray(prop) ? prop['val'] : undefined;
    if (name !== undefined && value !== undefined) props[name] = value;
  }
  const missing = children(node, 'missingSet')
    .map((entry) => childText(entry, 'path'))
    .filter((path): path is string => path !== undefined);
  return { obj: requireMoRef(child(node, 'obj'), 'obj'), props, missing };
}

/** Parses `RetrievePropertiesExResponse` / `ContinueRetrievePropertiesExResponse`. */
export function parseRetrieveResult(response: XmlNode): RetrieveResult {
  const result = child(response, 'returnval');
  if (result === undefined) return { objects: [] };
  const token = childText(result, 'token');
  return { objects: children(result, 'objects').map(parseObjectContent), ...(token ? { token } : {}) };
}

/** One object's changes in an update set. */
export interface ObjectUpdate {
  kind: 'enter' | 'modify' | 'leave';
  obj: MoRef;
  /** Changed properties: path → new value (`undefined` when unset or removed). */
  changes: Record<string, XmlValue | undefined>;
}

/** Parses `WaitForUpdatesExResponse`: the new version and every object update (`undefined` on a timeout without changes). */
export function parseUpdateSet(response: XmlNode): { version: string; updates: ObjectUpdate[]; truncated: boolean } | undefined {
  const set = child(response, 'returnval');
  if (set === undefined) return undefined;
  const updates: ObjectUpdate[] = [];
  for (const filter of children(set, 'filterSet')) {
    for (const objectUpdate of children(filter, 'objectSet')) {
      const changes: Record<string, XmlValue | undefined> = {};
      for (const change of children(objectUpdate, 'changeSet')) {
        const name = childText(change, 'name');
        if (name === undefined) continue;
        const op = childText(change, 'op');
        changes[name] = op === 'remove' || op === 'indirectRemove' || typeof change !== 'object' || Array.isArray(change) ? undefined : change['val'];
      }
      updates.push({ kind: (childText(objectUpdate, 'kind') ?? 'modify') as ObjectUpdate['kind'], obj: requireMoRef(child(objectUpdate, 'obj'), 'obj'), changes });
    }
  }
  return { version: childText(set, 'version') ?? '', updates, truncated: childText(set, 'truncated') === 'true' };
}

/** The outcome of a task, from its `info.state`, `info.error` and `info.result`. */
export type TaskOutcome = { state: 'queued' | 'running' } | { state: 'success'; result?: MoRef } | { state: 'error'; fault: SoapFault };

/** Decodes a task's state from collected `info.*` properties. */
export function decodeTaskOutcome(props: Readonly<Record<string, XmlValue | undefined>>): TaskOutcome {
  const state = textOf(props['info.state']);
  if (state === 'success') {
    const result = parseMoRef(props['info.result']);
    return result ? { state, result } : { state };
  }
  if (state === 'error') return { state, fault: decodeLocalizedFault(props['info.error']) };
  return { state: state === 'queued' ? 'queued' : 'running' };
}

/** Decodes a `LocalizedMethodFault` (a task's error) into a fault like a SOAP one. */
export function decodeLocalizedFault(node: XmlValue | undefined): SoapFault {
  const fault = child(node, 'fault');
  const message = childText(node, 'localizedMessage') ?? '';
  return { type: xsiType(fault) ?? 'MethodFault', message, detail: fault ?? {} };
}

/** Decodes a string property (`undefined` when unset). */
export function decodeString(node: XmlValue | undefined): string | undefined {
  const value = textOf(node);
  return value === '' ? undefined : value;
}

/** Decodes a boolean property. */
export function decodeBoolean(node: XmlValue | undefined): boolean | undefined {
  const value = textOf(node);
  return value === undefined || value === '' ? undefined : value === 'true' || value === '1';
}

/** Decodes a `VirtualMachineSnapshotInfo` into its root snapshots (reference and name). */
export function decodeRootSnapshots(node: XmlValue | undefined): Array<{ snapshot: MoRef; name: string }> {
  return children(node, 'rootSnapshotList').flatMap((tree) => {
    const snapshot = parseMoRef(child(tree, 'snapshot'));
    return snapshot ? [{ snapshot, name: childText(tree, 'name') ?? '' }] : [];
  });
}

/** One file of a VM (`layoutEx.file`). */
export interface VmFile {
  name: string;
  /** e.g. `config`, `diskDescriptor`, `diskExtent`, `snapshotData`. */
  type: string;
  size: number;
  uniqueSize?: number;
}

/** Decodes `layoutEx.file` (an `ArrayOfVirtualMachineFileLayoutExFileInfo`). */
export function decodeLayoutFiles(node: XmlValue | undefined): VmFile[] {
  return children(node, 'VirtualMachineFileLayoutExFileInfo').map((file) => {
    const unique = childText(file, 'uniqueSize');
    return {
      name: childText(file, 'name') ?? '',
      type: childText(file, 'type') ?? '',
      size: Number(childText(file, 'size') ?? 0),
      ...(unique === undefined ? {} : { uniqueSize: Number(unique) }),
    };
  });
}

/** Decodes the capacity of every virtual disk in `config.hardware.device`, in bytes. */
export function decodeDiskCapacities(node: XmlValue | undefined): number[] {
  return children(node, 'VirtualDevice')
    .filter((device) => xsiType(device) === 'VirtualDisk')
    .map((disk) => {
      const bytes = childText(disk, 'capacityInBytes');
      return bytes !== undefined ? Number(bytes) : Number(childText(disk, 'capacityInKB') ?? 0) * 1024;
    });
}

/** Decodes `config.extraConfig` into key → value. */
export function decodeExtraConfig(node: XmlValue | undefined): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const option of children(node, 'OptionValue')) {
    const key = childText(option, 'key');
    if (key !== undefined) entries[key] = childText(option, 'value') ?? '';
  }
  return entries;
}

/** Decodes an `ArrayOfManagedObjectReference` property (e.g. `recentTask`). */
export function decodeMoRefList(node: XmlValue | undefined): MoRef[] {
  return children(node, 'ManagedObjectReference').flatMap((value) => {
    const ref = parseMoRef(value);
    return ref ? [ref] : [];
  });
}

/** Parses `CurrentTimeResponse`: the endpoint's clock, in ms since the epoch. */
export function parseCurrentTime(response: XmlNode): number {
  const time = Date.parse(textOf(response['returnval']) ?? '');
  if (!Number.isFinite(time)) throw new SyntaxError('vim25 CurrentTime response lacks a time');
  return time;
}
