/**
 * `npm run faults [-- --subset ci | --case <pattern> | --json]`: the fault matrix on the real
 * lab, one table: the KVM provisioner's rows (packages/provisioner-kvm/lab-tests/faults), then
 * the ESX provisioner's (`esx-…`, packages/provisioner-esx/lab-tests/faults). The KVM rows
 * restart libvirtd, stop sshd processes and mount a small filesystem, so run them holding the
 * lab lock: `flock /tmp/provkit-labtests.lock npm run faults`. The ESX rows run on private
 * vSphere simulators only: `npm run faults -- --case esx-` starts no KVM lab service.
 * Exits 1 when a row is red.
 */
import { runFaultMatrices } from '@provkit/lab';
import { kvmFaultMatrix } from '../packages/provisioner-kvm/lab-tests/faults/fault-matrix.ts';
import { esxFaultMatrix } from '../packages/provisioner-esx/lab-tests/faults/esx-fault-matrix.ts';

await runFaultMatrices([kvmFaultMatrix, esxFaultMatrix], process.argv.slice(2));
