/**
 * What the ESX fault matrix reads on the simulator, independently of the provisioner's own
 * bookkeeping: the whole inventory through a container view (every VM, template and folder,
 * wherever it is), the library template's fingerprint, and a sweep that destroys what a row
 * left so the next row starts from the same inventory.
 */
import type { EsxProvisioner } from '../../src/index.ts';
import * as requests from '../../src/translation/vim-requests.ts';
import { decodeBoolean, decodeDiskCapacities, decodeExtraConfig, decodeLayoutFiles, decodeRootSnapshots, decodeString } from '../../src/translation/vim-responses.ts';
import type { VimDriver } from '../../src/vsphere/vim-driver.ts';

const apiOf = (provisioner: EsxProvisioner) => (provisioner.driver as VimDriver).api;

/** Every VM (`vm <name>`), template (`template <name>`) and folder (`folder <name>`) on the endpoint, sorted. */
export async function endpointInventory(provisioner: EsxProvisioner): Promise<string[]> {
  const api = apiOf(provisioner);
  const content = await api.client.serviceContent();
  const [vms, folders] = await Promise.all([api.viewObjects(content.rootFolder, 'VirtualMachine', ['name', 'config.template']), api.viewObjects(content.rootFolder, 'Folder', ['name'])]);
  return [
    ...vms.map((vm) => `${decodeBoolean(vm.props['config.template']) ? 'template' : 'vm'} ${decodeString(vm.props['name']) ?? vm.obj.value}`),
    ...folders.map((folder) => `folder ${decodeString(folder.props['name']) ?? folder.obj.value}`),
  ].sort();
}

/** What `now` has that `before` had not (`+ …`) and the reverse (`- …`). */
export function inventoryChange(before: readonly string[], now: readonly string[]): string[] {
  return [...now.filter((entry) => !before.includes(entry)).map((entry) => `+ ${entry}`), ...before.filter((entry) => !now.includes(entry)).map((entry) => `- ${entry}`)];
}

/**
 * The template at `path` as one string: a template or not, its root snapshots, its files with
 * their sizes, its disks' capacities and its extraConfig. Equal strings: the image is intact.
 */
export async function templateFingerprint(provisioner: EsxProvisioner, path: string): Promise<string> {
  const api = apiOf(provisioner);
  const ref = await api.findByPath(path);
  if (ref === undefined) return `nothing at ${path}`;
  const props = await api.properties(ref, ['config.template', 'snapshot', 'layoutEx.file', 'config.hardware.device', 'config.extraConfig']);
  return JSON.stringify({
    ref: ref.value,
    template: decodeBoolean(props['config.template']) === true,
    snapshots: decodeRootSnapshots(props['snapshot']).map((root) => root.name),
    files: decodeLayoutFiles(props['layoutEx.file']).map((file) => `${file.name} ${file.size}`),
    disks: decodeDiskCapacities(props['config.hardware.device']),
    extraConfig: decodeExtraConfig(props['config.extraConfig']),
  });
}

/** Destroys every VM and template whose name is not in `keep` (a row's remains), powering it off first. */
export async function sweepEndpoint(provisioner: EsxProvisioner, keep: readonly string[]): Promise<string[]> {
  const api = apiOf(provisioner);
  const content = await api.client.serviceContent();
  const swept: string[] = [];
  for (const vm of await api.viewObjects(content.rootFolder, 'VirtualMachine', ['name', 'config.template', 'runtime.powerState'])) {
    const name = decodeString(vm.props['name']) ?? vm.obj.value;
    if (keep.includes(`${decodeBoolean(vm.props['config.template']) ? 'template' : 'vm'} ${name}`)) continue;
    if (decodeString(vm.props['runtime.powerState']) === 'poweredOn') await api.runTask(requests.powerOffVmTask(vm.obj));
    await api.runTask(requests.destroyTask(vm.obj));
    swept.push(name);
  }
  return swept;
}
