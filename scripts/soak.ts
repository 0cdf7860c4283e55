/**
 * `npm run soak [-- --cycles N]`: N (default 200) load/unload cycles on the lab with resources
 * measured at start and end (see packages/provisioner-kvm/lab-tests/soak/load-unload-soak.ts).
 * It restarts no service: it may run beside other lab tests, but not beside `npm run faults`
 * (which restarts libvirtd and stops sshd; hold the lab lock for that). Exits 1 when
 * a resource grew beyond its stated tolerance.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const soak = join(root, 'packages', 'provisioner-kvm', 'lab-tests', 'soak', 'load-unload-soak.ts');
// --expose-gc: RSS is measured after a collection, so garbage not yet collected is not a leak.
const result = spawnSync(process.execPath, ['--conditions=provkit-source', '--expose-gc', soak, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
