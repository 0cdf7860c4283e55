/**
 * `npm run demo`: one real VM through its whole lifecycle with the `provkit` command, on the
 * local lab (libvirtd + QEMU under TCG reached over the lab's sshd, and the lab's small Debian
 * guest): load, status, generalize and capture, load the new image on a second node, unload.
 * Progress is printed as it happens. Whatever the demo started or created (lab services,
 * domains, disks, the captured image) is removed at the end, also after a failure or Ctrl-C;
 * only the lab's build cache (`~/.cache/provkit-lab`) stays, so a second run is quicker.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@provkit/cli';
import { freeLoopbackPort, isLabServiceUp, prepareKvmRun, stopLabService, writeKvmProvkitConfig, type KvmRun } from '@provkit/lab';

const SERVICES = ['sshd', 'libvirt', 'kvm-guest'];
const started = Date.now();
const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted')));

function say(text: string): void {
  console.log(`\n\x1b[1m[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${text}\x1b[0m`);
}

async function provkit(config: string, ...argv: string[]): Promise<number> {
  console.log(`$ provkit ${argv.join(' ')}`);
  return main([...argv, '--config', config], controller.signal);
}

async function demo(): Promise<number> {
  const wasUp = new Map<string, boolean>();
  for (const name of SERVICES) wasUp.set(name, await isLabServiceUp(name));
  let run: KvmRun | undefined;
  let dir: string | undefined;
  let config: string | undefined;
  const nodes: string[] = [];
  try {
    say('Bringing up the lab: sshd, libvirtd, the guest image (a first run installs Debian packages and builds the guest)');
    run = await prepareKvmRun('demo');
    dir = await mkdtemp(join(tmpdir(), 'provkit-demo-'));
    nodes.push(`${run.prefix}-a`, `${run.prefix}-b`);
    config = await writeKvmProvkitConfig(run, dir, { [nodes[0]!]: await freeLoopbackPort(), [nodes[1]!]: await freeLoopbackPort() });
    console.log(`configuration: ${config}`);
    const captured = 'demo-v1';
    const steps: Array<[string, string[], number?]> = [
      ['The image library', ['images']],
      ['Load the guest image onto a node (a qcow2 overlay, a libvirt domain, boot, wait for SSH, post-load)', ['load', nodes[0]!, run.image]],
      ['Is the node ready? (power, SSH, currentimage.txt, post-load)', ['status', nodes[0]!, '--image', run.image]],
      ['Generalize the guest and capture it as a new image', ['capture', nodes[0]!, captured]],
      ['Load the captured image onto a second node', ['load', nodes[1]!, captured]],
      ['The second node runs the new image', ['status', nodes[1]!, '--image', captured]],
      ['The library now holds both images', ['images']],
    ];
    for (const [what, argv] of steps) {
      say(what);
      const code = await provkit(config, ...argv);
      if (code !== 0) {
        console.error(`demo: provkit ${argv[0]} exited ${code}`);
        return code;
      }
    }
    return 0;
  } finally {
    say('Cleaning up: unload both nodes, remove the library, stop what the demo started');
    for (const node of nodes) if (config) await provkit(config, 'unload', node);
    await run?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
    for (const name of [...SERVICES].reverse()) if (!wasUp.get(name)) await stopLabService(name);
  }
}

const code = await demo().catch((error: Error) => {
  console.error(`demo: ${error.message}`);
  return 1;
});
say(code === 0 ? 'Done: nothing is left running.' : `Failed (exit ${code}); what the demo created was removed.`);
process.exit(code);
