import { CommandFailedError, TimeoutError, type NodeSpec } from '@provkit/core';
import { SshPool, sshRunnerFactory } from '@provkit/runners';
import { afterEach, describe, expect, it } from 'vitest';
import { readFileScript } from '../src/scripts/file-scripts.ts';
import { probeScript } from '../src/scripts/power-scripts.ts';
import { deleteUserScript, setPasswordsScript } from '../src/scripts/user-scripts.ts';
import { WindowsOsModule } from '../src/windows-os-module.ts';
import { Secret } from '@provkit/core';
import { TranscriptServer, type Transcript } from './transcript-server.ts';

const lines = (fragment: { text: string }): string[] => fragment.text.replace(/\n$/, '').split('\n');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function start(transcript: Transcript, commandTimeoutMs?: number): Promise<{ server: TranscriptServer; module: WindowsOsModule; node: NodeSpec }> {
  const server = new TranscriptServer(transcript);
  const port = await server.start();
  const pool = new SshPool({ connectTimeoutMs: 5000 });
  cleanups.push(async () => {
    await pool.close();
    await server.close();
  });
  const module = new WindowsOsModule({
    ...(commandTimeoutMs ? { commandTimeoutMs } : {}),
    runnerFor: sshRunnerFactory(pool, { username: server.username, privateKey: server.clientPrivateKey, hostKey: { kind: 'fingerprint', sha256: server.hostKeyFingerprint }, remoteShell: 'other' }),
  });
  return { server, module, node: { name: 'win-t', address: { host: '127.0.0.1', port } } };
}

// The fake must catch a module that strays from the transcript, or the transcript tests prove nothing.
describe('TranscriptServer', () => {
  it('answers an unexpected script with exit 255 and reports where it differs', async () => {
    const { server, module, node } = await start({ description: 'probe only', steps: [{ script: lines(probeScript()), stdout: ['provkit-ready'] }] });
    const error = await module.readCurrentImage({ node }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as CommandFailedError).exitCode).toBe(255);
    expect(() => server.assertDone()).toThrow(/step 1 \(\): script differs at line 3/);
  });

  it('reports steps that never came and unexpected stdin', async () => {
    const { server, module, node } = await start({
      description: 'password then delete',
      steps: [
        { script: lines(setPasswordsScript()), stdin: '{"alice":"expected"}', stdout: ['set=alice'] },
        { script: lines(deleteUserScript('alice', true)), stdout: ['state=deleted'] },
      ],
    });
    await expect(module.setPassword({ node, username: 'alice', password: Secret.of('something-else') })).rejects.toBeInstanceOf(CommandFailedError);
    expect(() => server.assertDone()).toThrow(/unexpected stdin of 26 characters[\s\S]*2 expected request\(s\) never came/);
    expect(() => server.assertDone()).not.toThrow(/something-else/);
  });

  it('binds a placeholder at its first match and holds later uses to the same text', async () => {
    const { server, module, node } = await start({
      description: 'same user twice',
      placeholders: { user: 'conf[a-z]+' },
      steps: [
        { script: lines(deleteUserScript('{{user}}', true)), stdout: ['state=deleted'] },
        { script: lines(deleteUserScript('{{user}}', true)), stdout: ['state=absent'] },
      ],
    });
    await module.deleteUser({ node, username: 'confab' });
    await expect(module.deleteUser({ node, username: 'confxy' })).rejects.toBeInstanceOf(CommandFailedError);
    expect(() => server.assertDone()).toThrow(/step 2/);
  });

  it('a hung command ends at the module\'s command bound with a TimeoutError (transcript authored from Microsoft\'s documentation)', async () => {
    const { server, module, node } = await start(
      { description: 'PowerShell hangs reading currentimage.txt', steps: [{ script: lines(readFileScript('C:\\ProgramData\\provkit\\currentimage.txt')), hang: true }] },
      400,
    );
    const started = Date.now();
    const error = await module.readCurrentImage({ node }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeoutMs).toBe(400);
    expect(Date.now() - started).toBeLessThan(400 + 3000);
    server.assertDone();
  });
});
