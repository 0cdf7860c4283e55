import { randomBytes } from 'node:crypto';
import { provisionerConformance } from '@provkit/conformance';
import { ensureLabService, type VcsimLabState } from '@provkit/lab';
import { beforeAll, describe, it } from 'vitest';
import { provisionerFor } from './test-support/simulator.ts';

// The lifecycle group needs a guest that answers SSH; the simulator has none, so the suites
// that need no guest run here. guest-lifecycle.test.ts runs the lifecycle group with the lab's
// Debian root as the guest, beside its own checks on the same set-up; loads are also covered
// by esx-simulator.test.ts.
for (const service of ['vcsim-esx', 'vcsim-vpx'] as const) {
  describe(`provkit conformance: EsxProvisioner on ${service}`, () => {
    let lab: VcsimLabState | undefined;
    beforeAll(async () => {
      lab = await ensureLabService<VcsimLabState>(service);
    });
    provisionerConformance({
      describe,
      it,
      createProvisioner: () => provisionerFor(lab!),
      get image() {
        return lab?.image ?? 'base-v1';
      },
      newNode: () => ({ name: `conf-${randomBytes(4).toString('hex')}` }),
      newImageName: () => `conf-${randomBytes(4).toString('hex')}-v1`,
      skipLoads: true,
    });
  });
}
