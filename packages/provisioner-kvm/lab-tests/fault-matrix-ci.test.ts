/**
 * The fault matrix's CI subset (`npm run faults -- --subset ci`) as a lab test: real faults on
 * the lab (an orchestrator SIGKILLed before and after the disk exists, an abort, libvirtd
 * restarted, the host's sshd connection killed, two orchestrators on one node, a delete during
 * a load, a killed unload, a capture killed while it copies),
 * each row then checked by inspecting the host, running the next operation from a fresh process
 * and checking the library. One test per row, failing with the row's reasons.
 */
import { join } from 'node:path';
import { faultMatrixSuite } from '@provkit/lab';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectCases } from './faults/fault-cases.ts';

faultMatrixSuite(
  { describe, it, beforeAll, expect },
  { title: 'fault matrix, CI subset, on the lab', matrixPath: join(import.meta.dirname, 'faults', 'fault-matrix.ts'), args: ['--subset', 'ci'], rows: selectCases({ subset: 'ci' }), timeoutMs: 1_200_000 },
);
