/**
 * The skeletons in docs/writing-a-provisioner.md and docs/writing-an-os-module.md, taken from
 * the guides as they are written, run through the whole conformance kit against a `vmctl`
 * stand-in: a small shell script, written here, that keeps a host's images, node disks and
 * node definitions as files in a temporary directory, and runs a "guest" command in a
 * running node's disk directory (as SSH into the guest would). So the guides cannot promise
 * what their code does not do.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmitter, sh, UnsupportedFunctionalityError, type NodeSpec, type OsModuleV1, type ProvisionerV1 } from '@provkit/core';
import { commandText, LocalRunner, type CommandRunner, type RunnerFactory } from '@provkit/runners';
import { osModuleConformance, provisionerConformance } from '@provkit/conformance';
import { afterAll, describe, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const out = join(root, 'docs', '.guide-run');

/** The ```ts block of `guide` that starts with `// file: <name>`. */
function namedBlock(guide: string, name: string): string {
  const text = readFileSync(join(root, 'docs', guide), 'utf8');
  const block = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!).find((code) => code.startsWith(`// file: ${name}\n`));
  if (!block) throw new Error(`${guide} has no block named ${name}`);
  return block;
}

// The stand-in host command. Guest commands never reach the machine's own poweroff/reboot:
// those two are the guest's and only change its record; stubs shadow anything like them.
const VMCTL = `#!/bin/sh
set -eu
S="$VMCTL_STATE"; cmd="$1"; shift
n="$S/nodes/\${1:-}"
case "$cmd" in
  image-list) for d in "$S"/images/*; do if [ -d "$d" ]; then echo "$(basename "$d") 1073741824 1048576"; fi; done ;;
  image-size) [ -d "$S/images/$1" ] || { echo "no image $1" >&2; exit 1; }; echo "1073741824 1048576" ;;
  image-users) for d in "$S"/nodes/*; do if [ -f "$d/image" ] && [ "$(cat "$d/image")" = "$1" ]; then basename "$d"; fi; done ;;
  image-delete) rm -rf "$S/images/$1" ;;
  disk) mkdir -p "$n"; cp -R "$S/images/$2" "$n/disk"; echo "$2" > "$n/image" ;;
  define) echo off > "$n/power"; echo 0 > "$n/boots"; touch "$n/managed" "$n/defined" ;;
  foreign) mkdir -p "$n/disk"; echo fixture-v1 > "$n/image"; echo on > "$n/power"; echo 1 > "$n/boots"; touch "$n/defined"; if [ "\${2:-}" = managed ]; then touch "$n/managed"; fi ;;
  state) [ -f "$n/defined" ] || { echo "no node $1" >&2; exit 1; }; echo "$(cat "$n/power") $(cat "$n/image") $(if [ -f "$n/managed" ]; then echo managed; else echo foreign; fi) $(cat "$n/boots")" ;;
  start) [ -f "$n/defined" ]; if [ "$(cat "$n/power")" != on ]; then echo on > "$n/power"; echo $(( $(cat "$n/boots") + 1 )) > "$n/boots"; fi ;;
  stop) [ -f "$n/defined" ]; echo off > "$n/power" ;;
  destroy) rm -rf "$n" ;;
  capture) rm -rf "$S/images/.$2.partial"; cp -R "$n/disk" "$S/images/.$2.partial"; mv "$S/images/.$2.partial" "$S/images/$2" ;;
  guest)
    if [ ! -f "$n/defined" ] || [ "$(cat "$n/power")" != on ]; then echo "ssh: connect to $1: Connection refused" >&2; exit 255; fi
    case "$2" in
      poweroff) echo off > "$n/power"; exit 0 ;;
      reboot) echo $(( $(cat "$n/boots") + 1 )) > "$n/boots"; exit 0 ;;
    esac
    cd "$n/disk"; PATH="$S/guest-bin:$PATH" exec sh -c "$2" ;;
  *) echo "vmctl: unknown command $cmd" >&2; exit 2 ;;
esac
`;

const state = mkdtempSync(join(tmpdir(), 'provkit-vmctl-'));
for (const dir of ['bin', 'guest-bin', 'nodes', 'images/base-v1']) mkdirSync(join(state, dir), { recursive: true });
writeFileSync(join(state, 'bin', 'vmctl'), VMCTL, { mode: 0o755 });
for (const stub of ['poweroff', 'reboot', 'shutdown', 'halt']) writeFileSync(join(state, 'guest-bin', stub), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
chmodSync(join(state, 'bin', 'vmctl'), 0o755);
writeFileSync(join(state, 'images', 'base-v1', 'etc-hostname'), 'base\n');
process.env.PATH = `${join(state, 'bin')}:${process.env.PATH ?? ''}`;
process.env.VMCTL_STATE = state;
afterAll(() => rmSync(state, { recursive: true, force: true }));

mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'vmctl-provisioner.ts'), namedBlock('writing-a-provisioner.md', 'vmctl-provisioner.ts'));
writeFileSync(join(out, 'minimal-os-module.ts'), namedBlock('writing-an-os-module.md', 'minimal-os-module.ts'));
const { VmctlProvisioner } = (await import(join(out, 'vmctl-provisioner.ts'))) as { VmctlProvisioner: new (options: { host: CommandRunner; osModule?: OsModuleV1 }) => ProvisionerV1 };
const { MinimalOsModule } = (await import(join(out, 'minimal-os-module.ts'))) as { MinimalOsModule: new (runnerFor: RunnerFactory, options?: { currentImagePath?: string }) => OsModuleV1 };

const local = new LocalRunner();
/** "SSH" into a node's guest: `vmctl guest`, which answers only while the node is on. */
const runnerFor: RunnerFactory = (node: NodeSpec) => ({
  target: `guest:${node.name}`,
  events: createEmitter(),
  run: (command, options) => local.run(sh`vmctl guest ${node.name} ${commandText(command)}`, options),
  writeFile: async () => Promise.reject(new UnsupportedFunctionalityError('writeFile', 'the vmctl guest')),
  uploadFile: async () => Promise.reject(new UnsupportedFunctionalityError('uploadFile', 'the vmctl guest')),
  downloadFile: async () => Promise.reject(new UnsupportedFunctionalityError('downloadFile', 'the vmctl guest')),
});
const newOsModule = (): OsModuleV1 => new MinimalOsModule(runnerFor, { currentImagePath: 'currentimage.txt' });
let serial = 0;
const address = (): NonNullable<NodeSpec['address']> => ({ host: '192.0.2.20', port: 20_000 + ++serial });
const foreign = async (name: string, managed = false): Promise<NodeSpec> => {
  await local.run(sh`vmctl foreign ${name} ${managed ? 'managed' : 'not-managed'}`);
  return { name, address: address() };
};

describe('the provisioner guide skeleton (VmctlProvisioner) passes the conformance kit', () => {
  provisionerConformance({
    describe,
    it,
    createProvisioner: () => new VmctlProvisioner({ host: new LocalRunner() }),
    osModule: newOsModule(),
    image: 'base-v1',
    newNode: () => ({ name: `guide-${++serial}`, address: address() }),
    newImageName: () => `guide-capture-${++serial}-v1`,
    unmanagedNode: () => foreign(`foreign-${++serial}`),
    loadTimeoutMs: 60_000,
    quickTimeoutMs: 30_000,
  });
});

const live = await foreign('os-live', true);
describe('the OS-module guide skeleton (MinimalOsModule) passes the conformance kit', () => {
  osModuleConformance({
    describe,
    it,
    createOsModule: newOsModule,
    node: () => live,
    unreachableNode: () => ({ name: 'os-nowhere', address: address() }),
    disposableNode: () => foreign(`os-disposable-${++serial}`, true),
    observeNode: async (node) => {
      const [power, , , boots] = (await local.run(sh`vmctl state ${node.name}`)).stdout.trim().split(' ');
      return { power: power === 'on' ? 'on' : 'off', boots: Number(boots) };
    },
    unreachableTimeoutMs: 300,
    quickTimeoutMs: 30_000,
  });
});
