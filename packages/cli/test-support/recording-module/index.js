// Records each call the CLI makes, with its options (secrets as the Secret object's reveal()),
// and answers with fixed, plausible values. For unit tests of argument parsing and wiring.
export const calls = [];

function record(operation, options) {
  const { signal, node, password, from, ...rest } = options ?? {};
  calls.push({
    operation,
    ...(node ? { node } : {}),
    ...(password ? { password: password.reveal() } : {}),
    ...(from ? { from: from.provider } : {}),
    ...rest,
    signal: signal instanceof AbortSignal,
  });
}

export function createProvisioner(config, context = {}) {
  const events = context.events;
  return {
    specificationVersion: 'v1',
    provider: 'recording',
    capabilities: {},
    events,
    config,
    async nodeStatus(options) { record('nodeStatus', options); return { status: options.image === 'wanted-v1' ? 'ready' : 'reload', power: 'on', ssh: true, currentImage: 'wanted-v1', detail: 'recorded' }; },
    async load(options) { record('load', options); events?.emit('progress', { operation: 'load', node: options.node.name, step: 'load-done', elapsedMs: 1 }); return { node: options.node.name, image: options.image, durationMs: 1000 }; },
    async capture(options) { record('capture', options); return { image: options.image, sizeBytes: 1048576, durationMs: 1000 }; },
    async unload(options) { record('unload', options); },
    async powerOn(options) { record('powerOn', options); },
    async powerOff(options) { record('powerOff', options); },
    async powerReset(options) { record('powerReset', options); },
    async powerStatus(options) { record('powerStatus', options); return 'on'; },
    async getCurrentImage(options) { record('getCurrentImage', options); return options.node.name === 'blank' ? undefined : 'wanted-v1'; },
    async getImageSize(options) { record('getImageSize', options); return { virtualBytes: 2097152, allocatedBytes: 1048576 }; },
    async doesImageExist(options) { record('doesImageExist', options); return options.image === 'wanted-v1'; },
    async retrieveImage(options) { record('retrieveImage', options); },
    async listImages(options) { record('listImages', options); return [{ name: 'wanted-v1', base: 'wanted', revision: 1, format: 'qcow2', virtualBytes: 2097152, allocatedBytes: 1048576 }]; },
    async deleteImage(options) { record('deleteImage', options); return { deleted: true }; },
    async close() { calls.push({ operation: 'close', provider: 'recording' }); },
  };
}

export function createOsModule(config, context = {}) {
  return {
    specificationVersion: 'v1',
    os: 'recording',
    capabilities: { firewall: true, generalize: true, users: true },
    events: context.events,
    async waitForResponse(options) { record('waitForResponse', options); },
    async postLoad(options) { record('postLoad', options); },
    async preCapture(options) { record('preCapture', options); return { operations: [{ name: 'machine-id', changed: true, detail: 'recorded' }], endState: options.endState ?? 'off' }; },
    async createUser(options) { record('createUser', options); },
    async deleteUser(options) { record('deleteUser', options); },
    async setPassword(options) { record('setPassword', options); },
    async randomizeAdminPasswords(options) { record('randomizeAdminPasswords', options); return { passwords: { root: { reveal: () => 'Random-Secret-1', toString: () => '[redacted]', toJSON: () => '[redacted]' } } }; },
    async grantAccess(options) { record('grantAccess', options); },
    async revokeAccess(options) { record('revokeAccess', options); },
    async readCurrentImage(options) { record('readCurrentImage', options); return { image: 'wanted-v1', properties: { id: '7' }, postLoadDone: true }; },
    async writeCurrentImage(options) { record('writeCurrentImage', options); },
    async shutdown(options) { record('shutdown', options); },
    async reboot(options) { record('reboot', options); },
    async close() { calls.push({ operation: 'close', os: 'recording' }); },
  };
}
