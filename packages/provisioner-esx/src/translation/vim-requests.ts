/**
 * Request envelopes of the vim25 methods provkit calls. Pure: each builder returns the
 * method name and its SOAP body; values are escaped by the one XML helper.
 */
import type { Secret } from '@provkit/core';
import { soapRequest, type VimRequest } from './envelope.ts';
import { propertyFilterSpec, type PropertyFilterSpec } from './property-spec.ts';
import { escapeXml } from '@provkit/core';
import { element, moRef, text, typedElement, type MoRef } from './xml.ts';

const SERVICE_INSTANCE: MoRef = { type: 'ServiceInstance', value: 'ServiceInstance' };

/** `RetrieveServiceContent` on the service instance. */
export function retrieveServiceContent(): VimRequest {
  return soapRequest('RetrieveServiceContent', SERVICE_INSTANCE);
}

/** `CurrentTime` on the service instance: the cheapest call that counts as session activity. */
export function currentTime(): VimRequest {
  return soapRequest('CurrentTime', SERVICE_INSTANCE);
}

/** `Login`; the password is revealed into the body only, which is never logged. */
export function login(sessionManager: MoRef, username: string, password: Secret): VimRequest {
  return soapRequest('Login', sessionManager, text('userName', username), text('password', password.reveal()));
}

/** `Logout`. */
export function logout(sessionManager: MoRef): VimRequest {
  return soapRequest('Logout', sessionManager);
}

/** `RetrievePropertiesEx`; `maxObjects` pages long results (continued by token). */
export function retrievePropertiesEx(propertyCollector: MoRef, specs: readonly PropertyFilterSpec[], maxObjects?: number): VimRequest {
  return soapRequest(
    'RetrievePropertiesEx',
    propertyCollector,
    ...specs.map((spec) => propertyFilterSpec('specSet', spec)),
    element('options', text('maxObjects', maxObjects)),
  );
}

/** `ContinueRetrievePropertiesEx` with the token of the previous page. */
export function continueRetrievePropertiesEx(propertyCollector: MoRef, token: string): VimRequest {
  return soapRequest('ContinueRetrievePropertiesEx', propertyCollector, text('token', token));
}

/** `CreatePropertyCollector`: a private collector, so concurrent waits do not share versions. */
export function createPropertyCollector(propertyCollector: MoRef): VimRequest {
  return soapRequest('CreatePropertyCollector', propertyCollector);
}

/** `DestroyPropertyCollector` (its filters go with it; a pending poll on it ends). */
export function destroyPropertyCollector(propertyCollector: MoRef): VimRequest {
  return soapRequest('DestroyPropertyCollector', propertyCollector);
}

/** `CreateFilter` on a collector. */
export function createFilter(propertyCollector: MoRef, spec: PropertyFilterSpec, partialUpdates = false): VimRequest {
  return soapRequest('CreateFilter', propertyCollector, propertyFilterSpec('spec', spec), text('partialUpdates', partialUpdates));
}

/** `DestroyPropertyFilter`. */
export function destroyPropertyFilter(filter: MoRef): VimRequest {
  return soapRequest('DestroyPropertyFilter', filter);
}

/** `WaitForUpdatesEx`: returns changes after `version` (empty: the current state), waiting at most `maxWaitSeconds`. */
export function waitForUpdatesEx(propertyCollector: MoRef, version: string, maxWaitSeconds: number): VimRequest {
  return soapRequest('WaitForUpdatesEx', propertyCollector, text('version', version), element('options', text('maxWaitSeconds', maxWaitSeconds)));
}

/** `CreateContainerView` over `container` for objects of `types`. */
export function createContainerView(viewManager: MoRef, container: MoRef, types: readonly string[], recursive: boolean): VimRequest {
  return soapRequest('CreateContainerView', viewManager, moRef('container', container), ...types.map((type) => text('type', type)), text('recursive', recursive));
}

/** `DestroyView`. */
export function destroyView(view: MoRef): VimRequest {
  return soapRequest('DestroyView', view);
}

/** `FindByInventoryPath`, e.g. `DC0/vm/images/base-v1`. */
export function findByInventoryPath(searchIndex: MoRef, inventoryPath: string): VimRequest {
  return soapRequest('FindByInventoryPath', searchIndex, text('inventoryPath', inventoryPath));
}

/** Settings of a clone or reconfiguration that provkit applies. */
export interface VmConfigChange {
  cpus?: number;
  memoryMB?: number;
  /** `extraConfig` entries, e.g. the image a node was loaded from. */
  extraConfig?: Readonly<Record<string, string>>;
}

function configSpec(name: string, change: VmConfigChange) {
  // Element order follows VirtualMachineConfigSpec's schema (numCPUs before memoryMB before extraConfig).
  return element(
    name,
    text('numCPUs', change.cpus),
    text('memoryMB', change.memoryMB),
    ...Object.entries(change.extraConfig ?? {}).map(([key, value]) => typedElement('extraConfig', 'OptionValue', text('key', key), { xml: `<value xsi:type="xsd:string">${escapeXml(value)}</value>` })),
  );
}

/** What `CloneVM_Task` makes. */
export interface CloneSpec {
  folder: MoRef;
  name: string;
  /** Resource pool of the new VM; required unless it becomes a template. */
  pool?: MoRef;
  datastore?: MoRef;
  /** Linked clone: a child disk on this snapshot of the source (`createNewChildDiskBacking`). */
  linkedFromSnapshot?: MoRef;
  template?: boolean;
  config?: VmConfigChange;
}

/** `CloneVM_Task`. */
export function cloneVmTask(vm: MoRef, spec: CloneSpec): VimRequest {
  const linked = spec.linkedFromSnapshot !== undefined;
  return soapRequest(
    'CloneVM_Task',
    vm,
    moRef('folder', spec.folder),
    text('name', spec.name),
    element(
      'spec',
      // RelocateSpec order: datastore, diskMoveType, pool.
      element('location', moRef('datastore', spec.datastore), linked && text('diskMoveType', 'createNewChildDiskBacking'), moRef('pool', spec.pool)),
      text('template', spec.template ?? false),
      spec.config && configSpec('config', spec.config),
      text('powerOn', false),
      linked && moRef('snapshot', spec.linkedFromSnapshot),
    ),
  );
}

/** `ReconfigVM_Task` for cpus, memory and extraConfig. */
export function reconfigVmTask(vm: MoRef, change: VmConfigChange): VimRequest {
  return soapRequest('ReconfigVM_Task', vm, configSpec('spec', change));
}

/** `PowerOnVM_Task`. */
export function powerOnVmTask(vm: MoRef): VimRequest {
  return soapRequest('PowerOnVM_Task', vm);
}

/** `PowerOffVM_Task` (hard). */
export function powerOffVmTask(vm: MoRef): VimRequest {
  return soapRequest('PowerOffVM_Task', vm);
}

/** `ResetVM_Task` (hard reset). */
export function resetVmTask(vm: MoRef): VimRequest {
  return soapRequest('ResetVM_Task', vm);
}

/** `ShutdownGuest`: asks VMware Tools to shut the guest down; returns at once. */
export function shutdownGuest(vm: MoRef): VimRequest {
  return soapRequest('ShutdownGuest', vm);
}

/** `Destroy_Task`: unregisters the VM and deletes its files. */
export function destroyTask(entity: MoRef): VimRequest {
  return soapRequest('Destroy_Task', entity);
}

/** `CreateSnapshot_Task` without memory and without quiescing (the VM is off). */
export function createSnapshotTask(vm: MoRef, name: string, description: string): VimRequest {
  return soapRequest('CreateSnapshot_Task', vm, text('name', name), text('description', description), text('memory', false), text('quiesce', false));
}

/** `MarkAsTemplate`. */
export function markAsTemplate(vm: MoRef): VimRequest {
  return soapRequest('MarkAsTemplate', vm);
}

/** `Rename_Task`. */
export function renameTask(entity: MoRef, name: string): VimRequest {
  return soapRequest('Rename_Task', entity, text('newName', name));
}

/** `CancelTask`: asks a running task to stop (a finished or uncancellable one faults; callers ignore that). */
export function cancelTask(task: MoRef): VimRequest {
  return soapRequest('CancelTask', task);
}
