/**
 * currentimage.txt and postLoad against the real Debian root: the file VCL reads, the
 * hostname (in the root's own UTS namespace), customization users and keys, the first-boot
 * command, and host keys made when missing.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, Secret } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import type { LinuxOsModule } from '@provkit/os-linux';
import { exists, passwordMatches, read, seed, shadowHash, sizeOf, startDebianRoot, type DebianRootFixture } from './test-support/debian-root-fixture.ts';
import { sshRunnerFactory } from '@provkit/runners';

let lab: DebianRootFixture;
let module: LinuxOsModule;
let runner: CommandRunner;
let publicKey: string;

beforeAll(async () => {
  lab = await startDebianRoot();
  module = lab.module();
  runner = sshRunnerFactory(lab.pool, { username: 'root', privateKeyPath: lab.state.privateKeyPath, hostKey: { kind: 'known-hosts', path: lab.state.knownHostsPath } })(lab.node);
  publicKey = readFileSync(`${lab.state.privateKeyPath}.pub`, 'utf8').trim();
});
afterAll(async () => lab?.close());

describe('LinuxOsModule currentimage.txt and postLoad on a real Debian root', () => {
  it('reads nothing when the guest has no currentimage.txt, then writes and reads it back in VCL format', async () => {
    expect(exists(lab.state, '/root/currentimage.txt')).toBe(false);
    expect(await module.readCurrentImage({ node: lab.node })).toBeUndefined();
    await module.writeCurrentImage({ node: lab.node, info: { image: 'debian12-base-v3', properties: { id: '12', imagerevision_id: '31', prettyname: 'Debian 12 (base)' }, postLoadDone: false } });
    expect(read(lab.state, '/root/currentimage.txt')).toBe('debian12-base-v3\nid=12\nimagerevision_id=31\nprettyname=Debian 12 (base)\n');
    expect(await module.readCurrentImage({ node: lab.node })).toEqual({
      image: 'debian12-base-v3',
      properties: { id: '12', imagerevision_id: '31', prettyname: 'Debian 12 (base)' },
      postLoadDone: false,
    });
  });

  it('postLoad sets the hostname, creates users and root keys, runs the first-boot command and records vcld_post_load', async () => {
    const s = lab.state;
    const password = Secret.of('Res-3rv4tion pass');
    const started = Math.floor(Date.now() / 1000);
    lab.events.length = 0;
    await module.postLoad({
      node: lab.node,
      image: 'debian12-base-v3',
      customization: {
        hostname: 'node-17.lab.example',
        users: [{ username: 'dgrid', password, sshPublicKeys: [publicKey], admin: true }],
        sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOcFqZ9lJ3s6Yb3uB1Nw4L2X2b0n1aQm3V5nZlq9k7Xh extra@provkit'],
        firstBootCommand: ['sh', '-c', 'echo "configured by $0" > /root/first-boot.out', 'puppet-pull'],
      },
    });
    expect((await runner.run(['hostname'])).stdout.trim()).toBe('node-17.lab.example');
    expect(read(s, '/etc/hostname')).toBe('node-17.lab.example\n');
    expect(read(s, '/etc/hosts')).toContain('127.0.1.1 node-17.lab.example');
    expect(passwordMatches(shadowHash(s, 'dgrid'), password)).toBe(true);
    expect(read(s, '/etc/sudoers.d/provkit-dgrid')).toContain('dgrid ALL=');
    expect(read(s, '/root/.ssh/authorized_keys')).toContain('extra@provkit');
    expect(read(s, '/root/.ssh/authorized_keys')).toContain(publicKey);
    expect(read(s, '/root/first-boot.out')).toBe('configured by puppet-pull\n');
    const info = await module.readCurrentImage({ node: lab.node });
    expect(info).toMatchObject({ image: 'debian12-base-v3', postLoadDone: true, properties: { id: '12', imagerevision_id: '31' } });
    const epoch = Number(/^success \((\d+)\)$/.exec(info!.properties.vcld_post_load!)![1]);
    expect(epoch).toBeGreaterThanOrEqual(started);
    expect(epoch).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    const steps = lab.events.filter((event) => 'step' in event).map((event) => (event as { step: string }).step);
    expect(steps).toEqual(['host-keys', 'hostname-set', 'user-created', 'root-keys-added', 'first-boot-command-done', 'post-load-done']);
    expect(JSON.stringify(lab.events)).not.toContain(password.reveal());
  });

  it('postLoad a second time keeps root keys single and refreshes the record', async () => {
    await module.postLoad({ node: lab.node, image: 'debian12-base-v3', customization: { sshAuthorizedKeys: [publicKey] } });
    const keys = read(lab.state, '/root/.ssh/authorized_keys').split('\n').filter((line) => line === publicKey);
    expect(keys).toHaveLength(1);
  });

  it('postLoad for another image starts a fresh currentimage.txt', async () => {
    await module.postLoad({ node: lab.node, image: 'debian12-web-v1' });
    const text = read(lab.state, '/root/currentimage.txt');
    expect(text).toMatch(/^debian12-web-v1\nvcld_post_load=success \(\d+\)\n$/);
  });

  it('postLoad creates SSH host keys when the image has none', async () => {
    const s = lab.state;
    await runner.run(['sh', '-c', 'rm -f /etc/ssh/ssh_host_*']);
    expect(exists(s, '/etc/ssh/ssh_host_ed25519_key')).toBe(false);
    lab.events.length = 0;
    await module.postLoad({ node: lab.node, image: 'debian12-web-v1' });
    expect(exists(s, '/etc/ssh/ssh_host_ed25519_key')).toBe(true);
    expect(exists(s, '/etc/ssh/ssh_host_rsa_key.pub')).toBe(true);
    expect(lab.events).toContainEqual(expect.objectContaining({ step: 'host-keys', detail: 'created ssh host keys' }));
  });

  it("postLoad names a guest whose /etc/hostname is empty after the node, and keeps a guest's own name", async () => {
    const s = lab.state;
    // What hostname-file leaves before capture.
    seed(s, '/etc/hostname', '');
    lab.events.length = 0;
    await module.postLoad({ node: { ...lab.node, name: 'reserved-node-9' }, image: 'debian12-web-v1' });
    expect(read(s, '/etc/hostname')).toBe('reserved-node-9\n');
    expect((await runner.run(['hostname'])).stdout.trim()).toBe('reserved-node-9');
    expect(read(s, '/etc/hosts')).toContain('127.0.1.1 reserved-node-9');
    expect(lab.events).toContainEqual(expect.objectContaining({ step: 'hostname-set', detail: 'reserved-node-9 (the node name: the image has none)' }));
    await module.postLoad({ node: { ...lab.node, name: 'other-node' }, image: 'debian12-web-v1' });
    expect(read(s, '/etc/hostname')).toBe('reserved-node-9\n');
    expect((await runner.run(['hostname'])).stdout.trim()).toBe('reserved-node-9');
  });

  it('postLoad refuses, before any change, a node name that cannot be the hostname of a guest that has none', async () => {
    const s = lab.state;
    seed(s, '/etc/hostname', '');
    const before = { current: read(s, '/root/currentimage.txt'), keys: read(s, '/root/.ssh/authorized_keys') };
    const extra = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEx8bYk7mFh2cQ1vVd8Gq2Ls9Rt4uWz0Pn6XjKa3Bc5Y late@provkit';
    const error = await module.postLoad({ node: { ...lab.node, name: 'web_1' }, image: 'debian12-web-v2', customization: { sshAuthorizedKeys: [extra] } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'node.name' });
    expect(sizeOf(s, '/etc/hostname')).toBe(0);
    expect({ current: read(s, '/root/currentimage.txt'), keys: read(s, '/root/.ssh/authorized_keys') }).toEqual(before);
  });
});
