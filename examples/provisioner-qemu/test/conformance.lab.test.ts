/**
 * The provkit conformance kit, imported by package name exactly as a third party would, run
 * against the QEMU provisioner driving the lab's real guest (Debian kernel, busybox, OpenSSH)
 * under QEMU TCG on this machine.
 */
import { provisionerConformance } from '@provkit/conformance';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { QemuProvisioner } from 'provkit-example-provisioner-qemu';
import { GUEST_IMAGE, setUpLabQemu, type LabQemu } from './lab-guest.ts';
import { StandInOsModule } from './stand-in-os-module.ts';

let lab: LabQemu;
let osModule: StandInOsModule;

beforeAll(async () => {
  lab = await setUpLabQemu();
  osModule = new StandInOsModule(lab.runnerFor);
});

afterAll(async () => {
  await lab?.close();
});

provisionerConformance({
  describe,
  it,
  createProvisioner: () => new QemuProvisioner({ ...lab.config, osModule }),
  image: GUEST_IMAGE,
  newNode: () => lab.newNode('conf'),
  unmanagedNode: () => lab.foreignNode('conf-foreign'),
  newImageName: () => `conf-${Date.now()}-${Math.random().toString(36).slice(2, 6)}-v1`,
  get osModule() {
    return osModule;
  },
  loadTimeoutMs: 300_000,
});
