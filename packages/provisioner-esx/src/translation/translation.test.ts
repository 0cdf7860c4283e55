import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImageExistsError, ImageNotFoundError, InvalidStateError, NodeExistsError, NodeNotFoundError, PermissionDeniedError, RemoteFaultError, Secret, UnsupportedFunctionalityError } from '@provkit/core';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { parseSoapResponse, type XmlNode } from './envelope.ts';
import { faultToError } from './faults.ts';
import { folderChildren, propertiesOf } from './property-spec.ts';
import * as requests from './vim-requests.ts';
import {
  decodeBoolean,
  decodeDiskCapacities,
  decodeLayoutFiles,
  decodeRootSnapshots,
  decodeString,
  decodeTaskOutcome,
  parseRetrieveResult,
  parseReturnedMoRef,
  parseServiceContent,
  parseUpdateSet,
} from './vim-responses.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

function result(name: string, method: string): XmlNode {
  const parsed = parseSoapResponse(fixture(name), method);
  if (parsed.kind !== 'result') throw new Error(`${name} is a fault`);
  return parsed.result;
}

// Requests are checked by parsing them back: well-formed XML, the right shape, values escaped.
const requestParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false });
const parseRequest = (body: string) => requestParser.parse(body)['soapenv:Envelope']['soapenv:Body'];

describe('XML escaping', () => {
  it('refuses a value XML cannot carry before anything is sent (core escaper, typed)', () => {
    expect(() => requests.renameTask({ type: 'VirtualMachine', value: 'vm-1' }, 'bell\u0007')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('keeps a hostile name a plain value in a request', () => {
    const request = requests.renameTask({ type: 'VirtualMachine', value: 'vm-1' }, '</newName><evil/>');
    const body = parseRequest(request.body);
    expect(body.Rename_Task.newName).toBe('</newName><evil/>');
    expect(body.Rename_Task.evil).toBeUndefined();
  });

  it('puts the login password only into the Login body, escaped', () => {
    const request = requests.login({ type: 'SessionManager', value: 'SessionManager' }, 'user', Secret.of('p&ss<word>'));
    expect(parseRequest(request.body).Login.password).toBe('p&ss<word>');
    expect(request.method).toBe('Login');
  });
});

describe('request envelopes', () => {
  it('builds a linked CloneVM_Task in schema order with pool, snapshot, size and the image marker', () => {
    const request = requests.cloneVmTask(
      { type: 'VirtualMachine', value: 'vm-57' },
      {
        folder: { type: 'Folder', value: 'group-3' },
        name: 'web-1',
        pool: { type: 'ResourcePool', value: 'resgroup-22' },
        linkedFromSnapshot: { type: 'VirtualMachineSnapshot', value: 'snapshot-66' },
        config: { cpus: 2, memoryMB: 1024, extraConfig: { 'provkit.image': 'base-v1' } },
      },
    );
    expect(request.method).toBe('CloneVM_Task');
    const clone = parseRequest(request.body).CloneVM_Task;
    expect(clone._this).toEqual({ '#text': 'vm-57', '@_type': 'VirtualMachine' });
    expect(clone.name).toBe('web-1');
    expect(clone.spec.location).toEqual({ diskMoveType: 'createNewChildDiskBacking', pool: { '#text': 'resgroup-22', '@_type': 'ResourcePool' } });
    expect(clone.spec.snapshot).toEqual({ '#text': 'snapshot-66', '@_type': 'VirtualMachineSnapshot' });
    expect(clone.spec.config.numCPUs).toBe('2');
    expect(clone.spec.config.memoryMB).toBe('1024');
    expect(clone.spec.config.extraConfig).toMatchObject({ key: 'provkit.image', value: { '#text': 'base-v1', '@_xsi:type': 'xsd:string' } });
    expect(request.body.indexOf('<location>')).toBeLessThan(request.body.indexOf('<template>'));
    expect(request.body.indexOf('<template>')).toBeLessThan(request.body.indexOf('<config>'));
    expect(request.body.indexOf('<powerOn>')).toBeLessThan(request.body.indexOf('<snapshot '));
  });

  it('builds a full clone without diskMoveType or snapshot', () => {
    const request = requests.cloneVmTask({ type: 'VirtualMachine', value: 'vm-1' }, { folder: { type: 'Folder', value: 'f' }, name: 'n', pool: { type: 'ResourcePool', value: 'p' } });
    expect(request.body).not.toContain('diskMoveType');
    expect(request.body).not.toContain('<snapshot');
  });

  it('builds a RetrievePropertiesEx over a folder traversal with typed selection specs', () => {
    const request = requests.retrievePropertiesEx({ type: 'PropertyCollector', value: 'propertyCollector' }, [folderChildren({ type: 'Folder', value: 'group-4' }, 'VirtualMachine', ['name', 'config.template'])], 100);
    const specSet = parseRequest(request.body).RetrievePropertiesEx.specSet;
    expect(specSet.propSet).toEqual({ type: 'VirtualMachine', pathSet: ['name', 'config.template'] });
    expect(specSet.objectSet.skip).toBe('true');
    expect(specSet.objectSet.selectSet).toMatchObject({ '@_xsi:type': 'TraversalSpec', type: 'Folder', path: 'childEntity' });
    expect(parseRequest(request.body).RetrievePropertiesEx.options.maxObjects).toBe('100');
  });

  it('builds WaitForUpdatesEx with a version and a bounded wait', () => {
    const body = parseRequest(requests.waitForUpdatesEx({ type: 'PropertyCollector', value: 'pc-1' }, '3', 30).body).WaitForUpdatesEx;
    expect(body.version).toBe('3');
    expect(body.options.maxWaitSeconds).toBe('30');
  });

  it('builds ReconfigVM_Task with cpus and memory', () => {
    const body = parseRequest(requests.reconfigVmTask({ type: 'VirtualMachine', value: 'vm-1' }, { cpus: 4, memoryMB: 2048 }).body).ReconfigVM_Task;
    expect(body.spec).toEqual({ numCPUs: '4', memoryMB: '2048' });
  });
});

describe('responses recorded from the simulator', () => {
  it('reads the service content', () => {
    const content = parseServiceContent(result('retrieve-service-content.xml', 'RetrieveServiceContent'));
    expect(content.propertyCollector.type).toBe('PropertyCollector');
    expect(content.searchIndex.type).toBe('SearchIndex');
    expect(content.sessionManager.type).toBe('SessionManager');
    expect(content.about.apiType).toBe('VirtualCenter');
    expect(content.about.apiVersion).toMatch(/^\d+\.\d+/);
  });

  it('reads a found reference and an empty FindByInventoryPath answer', () => {
    expect(parseReturnedMoRef(result('find-by-inventory-path.xml', 'FindByInventoryPath'))).toMatchObject({ type: 'VirtualMachine' });
    expect(parseReturnedMoRef(result('find-by-inventory-path-missing.xml', 'FindByInventoryPath'))).toBeUndefined();
    expect(parseReturnedMoRef(result('clone-vm-task.xml', 'CloneVM_Task'))).toMatchObject({ type: 'Task' });
  });

  it('decodes a template: name, power, template flag, Tools, root snapshot, files and disk capacity', () => {
    const [template] = parseRetrieveResult(result('retrieve-properties-template.xml', 'RetrievePropertiesEx')).objects;
    const props = template!.props;
    expect(decodeString(props['name'])).toBe('base-v1');
    expect(decodeString(props['runtime.powerState'])).toBe('poweredOff');
    expect(decodeBoolean(props['config.template'])).toBe(true);
    expect(decodeString(props['guest.toolsRunningStatus'])).toBe('guestToolsNotRunning');
    expect(decodeRootSnapshots(props['snapshot'])).toEqual([{ snapshot: expect.objectContaining({ type: 'VirtualMachineSnapshot' }), name: 'provkit-base' }]);
    const files = decodeLayoutFiles(props['layoutEx.file']);
    expect(files.map((file) => file.type)).toEqual(expect.arrayContaining(['config', 'diskDescriptor', 'diskExtent']));
    expect(files.find((file) => file.type === 'log')?.size).toBeGreaterThan(0);
    expect(decodeDiskCapacities(props['config.hardware.device'])[0]).toBeGreaterThan(0);
  });

  it('reads every object of a folder traversal and of a container view', () => {
    const children = parseRetrieveResult(result('retrieve-properties-folder-children.xml', 'RetrievePropertiesEx')).objects;
    expect(children.map((entry) => decodeString(entry.props['name']))).toContain('base-v1');
    const view = parseRetrieveResult(result('retrieve-properties-paged.xml', 'RetrievePropertiesEx'));
    expect(view.objects.length).toBeGreaterThanOrEqual(1);
    expect(view.objects[0]!.props['resourcePool']).toBeDefined();
  });

  it('keeps the continuation token of a paged result (recorded envelope, with a <token> spliced in: the simulator never pages)', () => {
    // The simulator answered one page; vim25 puts the token first in <returnval>, as spliced here.
    const paged = fixture('retrieve-properties-paged.xml').replace('<returnval>', '<returnval><token>page-2</token>');
    const parsed = parseSoapResponse(paged, 'RetrievePropertiesEx');
    expect(parsed.kind === 'result' && parseRetrieveResult(parsed.result).token).toBe('page-2');
  });

  it('decodes a failed task from its info and from an update set', () => {
    const [task] = parseRetrieveResult(result('task-info-error.xml', 'RetrievePropertiesEx')).objects;
    const outcome = decodeTaskOutcome(task!.props);
    expect(outcome).toMatchObject({ state: 'error', fault: { type: 'InvalidArgument' } });
    const update = parseUpdateSet(result('wait-for-updates-ex.xml', 'WaitForUpdatesEx'))!;
    expect(update.version).not.toBe('');
    expect(update.updates[0]).toMatchObject({ kind: 'enter', obj: { type: 'Task' } });
    expect(decodeTaskOutcome(update.updates[0]!.changes)).toMatchObject({ state: 'error', fault: { type: 'InvalidArgument' } });
  });

  it('reads SOAP faults with their vim25 type', () => {
    const notFound = parseSoapResponse(fixture('fault-managed-object-not-found.xml'), 'PowerOnVM_Task');
    expect(notFound).toMatchObject({ kind: 'fault', fault: { type: 'ManagedObjectNotFound' } });
    expect(parseSoapResponse(fixture('fault-mark-template-twice.xml'), 'MarkAsTemplate')).toMatchObject({ kind: 'fault', fault: { type: 'NotSupported' } });
  });

  it('refuses a body that is not a SOAP envelope', () => {
    expect(() => parseSoapResponse('<html>proxy error</html>', 'Login')).toThrow(SyntaxError);
  });
});

describe('faults to typed errors', () => {
  const fault = (type: string) => ({ type, message: 'm', detail: {} });
  it('maps duplicate names by what the call creates', () => {
    expect(faultToError(fault('DuplicateName'), { method: 'CloneVM_Task', node: 'web-1', creates: 'node' })).toBeInstanceOf(NodeExistsError);
    expect(faultToError(fault('FileAlreadyExists'), { method: 'Rename_Task', image: 'base-v2', creates: 'image' })).toBeInstanceOf(ImageExistsError);
  });
  it('maps missing objects to the image or node concerned', () => {
    expect(faultToError(fault('ManagedObjectNotFound'), { method: 'CloneVM_Task', image: 'base-v1', node: 'web-1', creates: 'node' })).toBeInstanceOf(ImageNotFoundError);
    expect(faultToError(fault('ManagedObjectNotFound'), { method: 'PowerOnVM_Task', node: 'web-1' })).toBeInstanceOf(NodeNotFoundError);
  });
  it('maps state, permission (including the free license) and unsupported faults, and keeps the rest by name', () => {
    expect(faultToError(fault('InvalidPowerState'), { method: 'PowerOnVM_Task' })).toBeInstanceOf(InvalidStateError);
    expect(faultToError(fault('NoPermission'), { method: 'Destroy_Task' })).toBeInstanceOf(PermissionDeniedError);
    expect(faultToError(fault('RestrictedVersion'), { method: 'CloneVM_Task' })).toBeInstanceOf(PermissionDeniedError);
    expect(faultToError(fault('NotSupported'), { method: 'MarkAsTemplate' })).toBeInstanceOf(UnsupportedFunctionalityError);
    const other = faultToError(fault('InvalidArgument'), { method: 'CloneVM_Task' });
    expect(other).toBeInstanceOf(RemoteFaultError);
    expect((other as RemoteFaultError).fault).toBe('InvalidArgument');
  });
  it('builds property specs for one object', () => {
    expect(propertiesOf({ type: 'Task', value: 't' }, ['info.state'])).toEqual({ propSet: [{ type: 'Task', pathSet: ['info.state'] }], objectSet: [{ obj: { type: 'Task', value: 't' } }] });
  });
});
