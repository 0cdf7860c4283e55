/**
 * Records real vim25 responses from the lab's simulator into `src/translation/fixtures/`, for
 * the translation unit tests. Run: `node --conditions=provkit-source packages/provisioner-esx/scripts/record-envelopes.ts`
 * (brings `vcsim-vpx` up). Requests are built by the package's own builders; the responses
 * are stored verbatim.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import { join } from 'node:path';
import { Secret } from '@provkit/core';
import { ensureLabService, type VcsimLabState } from '@provkit/lab';
import { parseSoapResponse, type VimRequest } from '../src/translation/envelope.ts';
import { folderChildren, propertiesOf, viewContents } from '../src/translation/property-spec.ts';
import * as requests from '../src/translation/vim-requests.ts';
import { parseReturnedMoRef, parseServiceContent } from '../src/translation/vim-responses.ts';

const state = await ensureLabService<VcsimLabState>('vcsim-vpx');
const fixtures = join(import.meta.dirname, '../src/translation/fixtures');
const agent = new https.Agent({ keepAlive: true, ca: readFileSync(state.caPath, 'utf8') });
let cookie: string | undefined;

async function post(request: VimRequest, fixture?: string): Promise<string> {
  const body = await new Promise<string>((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:vim25/6.5"' };
    if (cookie) headers['cookie'] = cookie;
    const req = https.request(state.url, { method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const set = res.headers['set-cookie']?.find((line) => line.startsWith('vmware_soap_session='));
        if (set) cookie = set.split(';')[0];
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    req.on('error', reject);
    req.end(request.body);
  });
  if (fixture) writeFileSync(join(fixtures, fixture), body);
  return body;
}

function result(xml: string, method: string) {
  const parsed = parseSoapResponse(xml, method);
  if (parsed.kind === 'fault') throw new Error(`${method}: ${parsed.fault.type}`);
  return parsed.result;
}

const content = parseServiceContent(result(await post(requests.retrieveServiceContent(), 'retrieve-service-content.xml'), 'RetrieveServiceContent'));
await post(requests.login(content.sessionManager, state.username, Secret.of(state.password)), 'login.xml');
const datacenter = state.datacenter.replace(/^\//, '');
const templatePath = `${datacenter}/vm/${state.imagesFolder}/${state.image}`;
const template = parseReturnedMoRef(result(await post(requests.findByInventoryPath(content.searchIndex, templatePath), 'find-by-inventory-path.xml'), 'FindByInventoryPath'))!;
await post(requests.findByInventoryPath(content.searchIndex, `${datacenter}/vm/no-such-vm`), 'find-by-inventory-path-missing.xml');
const vmPaths = ['name', 'runtime.powerState', 'config.template', 'guest.toolsRunningStatus', 'guest.ipAddress', 'snapshot', 'layoutEx.file', 'config.hardware.device', 'config.extraConfig'];
await post(requests.retrievePropertiesEx(content.propertyCollector, [propertiesOf(template, vmPaths)]), 'retrieve-properties-template.xml');
const folder = parseReturnedMoRef(result(await post(requests.findByInventoryPath(content.searchIndex, `${datacenter}/vm/${state.imagesFolder}`)), 'FindByInventoryPath'))!;
await post(requests.retrievePropertiesEx(content.propertyCollector, [folderChildren(folder, 'VirtualMachine', ['name', 'config.template'])]), 'retrieve-properties-folder-children.xml');
const datacenterRef = parseReturnedMoRef(result(await post(requests.findByInventoryPath(content.searchIndex, datacenter)), 'FindByInventoryPath'))!;
const view = parseReturnedMoRef(result(await post(requests.createContainerView(content.viewManager, datacenterRef, ['ComputeResource'], true), 'create-container-view.xml'), 'CreateContainerView'))!;
await post(requests.retrievePropertiesEx(content.propertyCollector, [viewContents(view, 'ComputeResource', ['name', 'resourcePool'])], 1), 'retrieve-properties-paged.xml');
await post(requests.destroyView(view));
// A failing clone task: onto the template's own name, without a resource pool. The fixtures
// were recorded before the lab simulator refused duplicate names, so task-info-error.xml and
// wait-for-updates-ex.xml hold InvalidArgument (spec.location.pool, the stock simulator's check);
// re-recorded against the current lab build, the same call ends in DuplicateName, which
// lab-tests/clone-failures.test.ts covers on a live task.
const task = parseReturnedMoRef(result(await post(requests.cloneVmTask(template, { folder, name: state.image, template: true }), 'clone-vm-task.xml'), 'CloneVM_Task'))!;
await post(requests.retrievePropertiesEx(content.propertyCollector, [propertiesOf(task, ['info.state', 'info.error', 'info.result'])]), 'task-info-error.xml');
// A method on a reference that does not exist: a ManagedObjectNotFound fault.
await post(requests.powerOnVmTask({ type: 'VirtualMachine', value: 'vm-does-not-exist' }), 'fault-managed-object-not-found.xml');
await post(requests.markAsTemplate(template), 'fault-mark-template-twice.xml');
const collector = parseReturnedMoRef(result(await post(requests.createPropertyCollector(content.propertyCollector)), 'CreatePropertyCollector'))!;
const filter = parseReturnedMoRef(result(await post(requests.createFilter(collector, propertiesOf(task, ['info.state', 'info.error', 'info.result']))), 'CreateFilter'))!;
await post(requests.waitForUpdatesEx(collector, '', 10), 'wait-for-updates-ex.xml');
await post(requests.destroyPropertyFilter(filter));
await post(requests.logout(content.sessionManager));
agent.destroy();
console.log(`recorded into ${fixtures}`);
