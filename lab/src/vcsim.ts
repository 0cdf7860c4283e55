import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';

/**
 * State of the lab's `vcsim-esx` and `vcsim-vpx` services: govmomi's vSphere simulator
 * (from Debian) serving a standalone ESXi or a vCenter model over HTTPS on loopback.
 */
export interface VcsimLabState {
  /** The SDK endpoint, `https://127.0.0.1:<port>/sdk`. */
  url: string;
  username: string;
  password: string;
  /** SHA-1 of the server certificate, colon-separated upper-case hex (as vSphere shows it). */
  thumbprintSha1: string;
  /** SHA-256 of the server certificate, same notation. */
  thumbprintSha256: string;
  /** The server certificate (self-signed, fresh per start) as a PEM file, usable as a CA file. */
  caPath: string;
  mode: 'esx' | 'vpx';
  /** Inventory path of the datacenter, `/ha-datacenter` (ESX) or `/DC0` (vCenter). */
  datacenter: string;
  /** The lab's template (with a root snapshot), `<name>-v<revision>`. */
  image: string;
  /** Folder under the datacenter's VM folder holding the template; empty on ESX (no VM folders). */
  imagesFolder: string;
  pidPath: string;
  logPath: string;
}

/**
 * What the lab simulator's next clones do (its `/provkit/clone-faults` endpoint, lab/vcsim/vcsim/faults.go):
 * `async`/`delayMs`/`hold` make CloneVM_Task a running task that ends later (held ones on
 * {@link releaseClones}); `fault` ends it in InsufficientResourcesFault, with nothing made
 * (`fail`) or after making the VM (`fail-after-create`); `count` clones, then plain again (0: all).
 */
export interface ClonePlan {
  async?: boolean;
  delayMs?: number;
  hold?: boolean;
  fault?: '' | 'fail' | 'fail-after-create';
  count?: number;
}

/** Sets the plan of the next clones on a lab simulator (a private one: the plan reaches every client of it). */
export async function setClonePlan(state: VcsimLabState, plan: ClonePlan): Promise<void> {
  await postToSimulator(state, '/provkit/clone-faults', JSON.stringify(plan));
}

/** Lets held clones go on; resolves once every delayed clone has ended. */
export async function releaseClones(state: VcsimLabState): Promise<void> {
  await postToSimulator(state, '/provkit/clone-faults/release', '');
}

async function postToSimulator(state: VcsimLabState, path: string, body: string): Promise<void> {
  const url = new URL(path, state.url);
  const status = await new Promise<number>((resolve, reject) => {
    const request = httpsRequest(url, { method: 'POST', ca: readFileSync(state.caPath), headers: { 'content-type': 'application/json' }, timeout: 120_000 }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    request.once('timeout', () => request.destroy(new Error(`the simulator did not answer ${path} within 120 s`)));
    request.once('error', reject);
    request.end(body);
  });
  if (status !== 204) throw new Error(`the simulator answered ${path} with HTTP ${status}`);
}
