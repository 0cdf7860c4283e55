// A provisioner and OS module with no host behind them, for `provkit serve`'s protocol tests.
// Every call is appended to `config.callsFile` (so a test sees whether a side effect happened);
// loading image `hang-v1` runs until its AbortSignal fires, then records its clean-up in
// `config.callsFile` and fails ABORTED; image `broken-v1` fails at a step, retryably.
import { appendFileSync } from 'node:fs';

const marker = Symbol.for('provkit.error');

// A provkit error as core makes it, recognized by core's Symbol.for marker (this package is
// installed outside the workspace and cannot import @provkit/core).
function provkitError(code, message, extra = {}) {
  const error = new Error(message, extra.cause ? { cause: extra.cause } : undefined);
  error[marker] = true;
  error.code = code;
  error.isRetryable = extra.retryable ?? false;
  if (extra.step) error.step = extra.step;
  return error;
}

function recorder(config) {
  return (operation, detail = '') => appendFileSync(config.callsFile, `${operation}${detail ? ` ${detail}` : ''}\n`);
}

export function createProvisioner(config, context = {}) {
  const record = recorder(config);
  return {
    specificationVersion: 'v1',
    provider: 'serve-test',
    capabilities: {},
    events: context.events,
    async nodeStatus({ node, image }) { record('nodeStatus', node.name); return { status: image === 'wanted-v1' ? 'ready' : 'reload', power: 'on', ssh: true, currentImage: 'wanted-v1', detail: `address ${node.address?.host ?? 'none'}` }; },
    async load({ node, image, signal, onProgress }) {
      record('load', `${node.name} ${image}`);
      onProgress?.({ operation: 'load', node: node.name, image, step: 'started', elapsedMs: 0 });
      if (image === 'broken-v1') throw provkitError('OPERATION_FAILED', `load failed at step machine-booted: ${node.name} did not answer SSH`, { step: 'machine-booted', retryable: true, cause: provkitError('TIMEOUT', 'no SSH banner', { retryable: true }) });
      if (image === 'hang-v1') {
        await new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', resolve, { once: true })));
        // The clean-up a real load runs when aborted, taking a moment as one does.
        await new Promise((resolve) => setTimeout(resolve, 50));
        record('cleanup', node.name);
        throw provkitError('ABORTED', `load of ${node.name} aborted: ${signal.reason?.message ?? 'aborted'}`);
      }
      onProgress?.({ operation: 'load', node: node.name, image, step: 'load-done', elapsedMs: 1 });
      return { node: node.name, image, durationMs: 1 };
    },
    async capture({ node, image, onProgress }) { record('capture', `${node.name} ${image}`); onProgress?.({ operation: 'capture', node: node.name, image, step: 'capture-done', elapsedMs: 1 }); return { image, sizeBytes: 1048576, virtualBytes: 2097152, durationMs: 1 }; },
    async unload({ node }) { record('unload', node.name); },
    async powerOn({ node }) { record('powerOn', node.name); },
    async powerOff({ node, mode }) { record('powerOff', `${node.name} ${mode ?? 'graceful'}`); },
    async powerReset({ node }) { record('powerReset', node.name); },
    async powerStatus({ node }) { record('powerStatus', node.name); return 'on'; },
    async getCurrentImage({ node }) { record('getCurrentImage', node.name); if (node.name === 'gone') throw provkitError('NODE_NOT_FOUND', 'no node named gone'); return node.name === 'blank' ? undefined : 'wanted-v1'; },
    async getImageSize({ image }) { record('getImageSize', image); return { virtualBytes: 2097152, allocatedBytes: 1048576 }; },
    async doesImageExist({ image }) { record('doesImageExist', image); return image === 'wanted-v1'; },
    async retrieveImage({ image }) { record('retrieveImage', image); },
    async listImages() { record('listImages'); return [{ name: 'wanted-v1', base: 'wanted', revision: 1, format: 'qcow2', virtualBytes: 2097152, allocatedBytes: 1048576 }]; },
    async deleteImage({ image }) { record('deleteImage', image); return { deleted: true }; },
    async close() { record('close', 'provisioner'); },
  };
}

export function createOsModule(config, context = {}) {
  const record = recorder(config);
  return {
    specificationVersion: 'v1',
    os: 'serve-test',
    capabilities: { firewall: true, generalize: true, users: true },
    events: context.events,
    async waitForResponse({ node }) { record('waitForResponse', node.name); },
    async postLoad({ node }) { record('postLoad', node.name); },
    async preCapture({ node, endState }) { record('preCapture', node.name); return { operations: [{ name: 'machine-id', changed: true, detail: 'emptied' }], endState: endState ?? 'off' }; },
    async createUser({ node, username }) { record('createUser', `${node.name} ${username}`); },
    async deleteUser({ node, username }) { record('deleteUser', `${node.name} ${username}`); },
    // Fails with the password in its message, as a careless module might: serve must redact it.
    async setPassword({ node, username, password }) { record('setPassword', `${node.name} ${username}`); throw provkitError('COMMAND_FAILED', `chpasswd refused ${username}:${password.reveal()}`); },
    async randomizeAdminPasswords({ node }) { record('randomizeAdminPasswords', node.name); return { passwords: { root: { reveal: () => 'Random-Secret-1', toString: () => '[redacted]', toJSON: () => '[redacted]' } } }; },
    async grantAccess({ node, remoteIp, ports }) { record('grantAccess', `${node.name} ${remoteIp} ${ports.join(',')}`); },
    async revokeAccess({ node, remoteIp }) { record('revokeAccess', `${node.name} ${remoteIp}`); },
    async readCurrentImage({ node }) { record('readCurrentImage', node.name); return { image: 'wanted-v1', properties: { id: '7' }, postLoadDone: true }; },
    async writeCurrentImage({ node }) { record('writeCurrentImage', node.name); },
    async shutdown({ node }) { record('shutdown', node.name); },
    async reboot({ node }) { record('reboot', node.name); },
    async close() { record('close', 'os'); },
  };
}
