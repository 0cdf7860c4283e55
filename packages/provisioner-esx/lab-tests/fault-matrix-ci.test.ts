/**
 * The ESX rows of the fault matrix's CI subset (`npm run faults -- --subset ci`) as a lab test,
 * on a private vCenter simulator (no KVM lab service): a load's clone task that the simulator
 * fails after making the VM, and a load SIGKILLed while its clone task runs, each row then
 * checked by listing `leftovers()` and the endpoint's whole inventory, running a load and an
 * unload from fresh processes and comparing the template. One test per row, failing with the
 * row's reasons.
 */
import { join } from 'node:path';
import { faultMatrixSuite } from '@provkit/lab';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectEsxRows } from './faults/esx-fault-matrix.ts';

faultMatrixSuite(
  { describe, it, beforeAll, expect },
  { title: 'ESX fault matrix, CI subset, on a private simulator', matrixPath: join(import.meta.dirname, 'faults', 'esx-fault-matrix.ts'), args: ['--subset', 'ci'], rows: selectEsxRows({ subset: 'ci' }), timeoutMs: 600_000 },
);
