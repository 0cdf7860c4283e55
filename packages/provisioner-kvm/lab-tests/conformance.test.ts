/**
 * The conformance kit on the lab's real libvirtd: @provkit/conformance's provisioner suites
 * against KvmProvisioner, with @provkit/os-linux's module on the lab guest.
 */
import { provisionerConformance } from '@provkit/conformance';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startKvmLab, type KvmLab } from './test-support/lab-kvm.ts';

let lab: KvmLab;

beforeAll(async () => {
  lab = await startKvmLab();
});

afterAll(async () => {
  await lab?.close();
});

// The published conformance suites, by package name as a third party runs them: the whole
// kit, lifecycle, capture, reload and abort at every load step included, on the lab guest
// (the user-password check skips itself by name: the lab guest's OS module declares no user
// management). retrieveImage is declared, so the kit retrieves into a second library.
let retrieveLibraries = 0;
provisionerConformance({
  describe,
  it,
  createProvisioner: () => lab.provisioner(),
  get osModule() {
    return lab.osModule;
  },
  image: 'labguest-v1',
  newNode: () => lab.newNode('conf'),
  newImageName: () => `pklab-conf-${Date.now()}-${Math.random().toString(36).slice(2, 6)}-v1`,
  retrieveTarget: async () => {
    const libraryDir = `${lab.runDir}/library-conf-${++retrieveLibraries}`;
    await lab.host.run(['mkdir', '-p', libraryDir]);
    return lab.provisioner({ libraryDir });
  },
  loadTimeoutMs: 300_000,
});
