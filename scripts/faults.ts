/**
 * `npm run faults [-- --subset ci | --case <pattern> | --json]`: the KVM provisioner's fault
 * matrix on the real lab (see packages/provisioner-kvm/lab-tests/faults/fault-matrix.ts).
 * It restarts libvirtd, stops sshd processes and mounts a small filesystem, so run it holding
 * the lab lock: `flock /tmp/provkit-labtests.lock npm run faults`. Exits 1 when a row is red.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const matrix = join(root, 'packages', 'provisioner-kvm', 'lab-tests', 'faults', 'fault-matrix.ts');
const result = spawnSync(process.execPath, ['--conditions=provkit-source', matrix, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
