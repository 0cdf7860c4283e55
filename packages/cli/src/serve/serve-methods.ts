import { Secret, type NodeSpec, type OsModuleV1, type ProgressEvent, type ProvisionerV1 } from '@provkit/core';
import { z } from 'zod';

/*
 * The one table of `provkit serve`'s methods. Each row names a contract operation, the JSON
 * shape of its parameters (a zod schema, from which the published schema is generated) and
 * how the parameters become the operation's options. The `satisfies` clauses below make a
 * contract operation without a row a type error, so the protocol cannot fall behind the
 * contract, and the schema is never written a second time by hand.
 */

/** What a method's call needs besides its parameters. */
export interface CallContext {
  provisioner: ProvisionerV1;
  /** Undefined when the configuration has no `os` section. */
  osModule: OsModuleV1 | undefined;
  /** The node named in the parameters, merged with what the configuration says about it. */
  node: (param: NodeParam) => NodeSpec;
  /** Builds a provisioner from another configuration file (for `retrieveImage`), closed after the call. */
  provisionerFrom: (path: string) => Promise<ProvisionerV1>;
  signal: AbortSignal;
  /** Sends one progress notification carrying the request's id. */
  onProgress: (event: ProgressEvent) => void;
  /** Remembers a secret of this request, so no error message carries it. */
  secret: (value: string) => Secret;
}

const nodeAddress = z.object({ host: z.string().describe('IP address or DNS name'), port: z.number().int().exactOptional().describe('SSH port (default 22)') }).strict();

/** A node: its name in the configuration's `nodes`, or a full node (name, address, mac) merged over it. */
const nodeParam = z
  .union([z.string(), z.object({ name: z.string(), address: nodeAddress.exactOptional(), mac: z.string().exactOptional() }).strict()])
  .describe("the node: a name from the configuration's nodes, or { name, address?, mac? } merged over it");

/** The `node` parameter's shape. */
export type NodeParam = z.infer<typeof nodeParam>;

const image = z.string().describe('library image <name>-v<revision>');
const timeoutMs = z.number().int().describe('bound in milliseconds');
const endState = z.enum(['on', 'off', 'reboot']);
const providerOptions = z.record(z.string(), z.record(z.string(), z.unknown())).describe('provider-specific options keyed by provider name');
const user = z
  .object({
    username: z.string(),
    password: z.string().exactOptional().describe('sent in the clear on the pipe; never echoed back, redacted from errors'),
    sshPublicKeys: z.array(z.string()).exactOptional(),
    admin: z.boolean().exactOptional(),
  })
  .strict();
const customization = z
  .object({
    hostname: z.string().exactOptional(),
    users: z.array(user).exactOptional(),
    sshAuthorizedKeys: z.array(z.string()).exactOptional(),
    firstBootCommand: z.array(z.string()).exactOptional(),
  })
  .strict();
const access = { node: nodeParam, remoteIp: z.string(), ports: z.array(z.number().int()).min(1) };
const onNode = z.object({ node: nodeParam }).strict();
const onImage = z.object({ image }).strict();
const wait = z.object({ node: nodeParam, timeoutMs: timeoutMs.optional() }).strict();

/** One method of the protocol. */
export interface MethodSpec<Schema extends z.ZodType = z.ZodType> {
  /** What it does, in the schema. */
  summary: string;
  params: Schema;
  /** True when the method sends `$/progress` notifications while it runs. */
  progress?: boolean;
  /** Calls the operation; the result is sent as JSON (never a secret). */
  call(params: z.infer<Schema>, context: CallContext): Promise<unknown>;
}

function method<Schema extends z.ZodType>(spec: MethodSpec<Schema>): MethodSpec {
  return spec as unknown as MethodSpec;
}

type UserParam = z.infer<typeof user>;
function toUser(given: UserParam, context: CallContext) {
  const { password, ...rest } = given;
  return { ...rest, ...(password === undefined ? {} : { password: context.secret(password) }) };
}
function toCustomization(given: z.infer<typeof customization> | undefined, context: CallContext) {
  if (!given) return {};
  const { users, ...rest } = given;
  return { customization: { ...rest, ...(users ? { users: users.map((one) => toUser(one, context)) } : {}) } };
}

/** Drops `undefined` members, so options carry only what the caller gave (exactOptionalPropertyTypes). */
function defined<T extends Record<string, unknown>>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

function os(context: CallContext): OsModuleV1 {
  if (!context.osModule) throw new MissingOsModule();
  return context.osModule;
}

/** An `os.*` method was called but the configuration has no `os` section. */
export class MissingOsModule extends Error {}

type ProvisionerOperation = Exclude<keyof ProvisionerV1, 'specificationVersion' | 'provider' | 'capabilities' | 'events' | 'close'>;
type OsOperation = Exclude<keyof OsModuleV1, 'specificationVersion' | 'os' | 'capabilities' | 'events' | 'close' | 'checkCustomization' | 'forgetNode'>;

/** Every `ProvisionerV1` operation, as `provisioner.<operation>`. */
export const PROVISIONER_METHODS = {
  nodeStatus: method({
    summary: "Is the node ready for a user (VCL's node_status)?",
    params: z.object({ node: nodeParam, image: image.optional(), sshTimeoutMs: timeoutMs.optional() }).strict(),
    call: (p, c) => c.provisioner.nodeStatus(defined({ node: c.node(p.node), image: p.image, sshTimeoutMs: p.sshTimeoutMs, signal: c.signal })),
  }),
  nodeStatuses: method({
    summary: 'The status of many nodes at once, in the order given.',
    params: z.object({ nodes: z.array(nodeParam), image: image.optional() }).strict(),
    call: async (p, c) => {
      const nodes = p.nodes.map((one) => c.node(one));
      if (c.provisioner.nodeStatuses) return c.provisioner.nodeStatuses(defined({ nodes, image: p.image, signal: c.signal }) as Parameters<NonNullable<ProvisionerV1['nodeStatuses']>>[0]);
      const entries = [];
      for (const node of nodes) entries.push({ node: node.name, result: await c.provisioner.nodeStatus(defined({ node, image: p.image, signal: c.signal })) });
      return entries;
    },
  }),
  load: method({
    summary: 'Puts an image onto the node (replacing a managed node of that name), boots it and runs post-load.',
    progress: true,
    params: z
      .object({
        node: nodeParam,
        image,
        ifExists: z.enum(['replace', 'refuse']).optional(),
        size: z.object({ cpus: z.number().int(), memoryBytes: z.number().int(), diskBytes: z.number().int().exactOptional() }).strict().optional(),
        diskMode: z.enum(['linked', 'full']).optional(),
        customization: customization.optional(),
        bootTimeoutMs: timeoutMs.optional(),
        providerOptions: providerOptions.optional(),
      })
      .strict(),
    call: (p, c) =>
      c.provisioner.load({
        ...defined({ image: p.image, ifExists: p.ifExists, size: p.size, diskMode: p.diskMode, bootTimeoutMs: p.bootTimeoutMs, providerOptions: p.providerOptions }),
        ...toCustomization(p.customization, c),
        node: c.node(p.node),
        signal: c.signal,
        onProgress: c.onProgress,
      }),
  }),
  capture: method({
    summary: "Generalizes the node (the OS module's pre-capture), powers it off and stores its disk as a new image.",
    progress: true,
    params: z.object({ node: nodeParam, image, endState: endState.optional(), skipPreCapture: z.boolean().optional(), shutdownTimeoutMs: timeoutMs.optional(), providerOptions: providerOptions.optional() }).strict(),
    call: (p, c) =>
      c.provisioner.capture({
        ...defined({ image: p.image, endState: p.endState, skipPreCapture: p.skipPreCapture, shutdownTimeoutMs: p.shutdownTimeoutMs, providerOptions: p.providerOptions }),
        node: c.node(p.node),
        signal: c.signal,
        onProgress: c.onProgress,
      }),
  }),
  unload: method({ summary: 'Powers off, undefines and deletes the node (idempotent).', params: onNode, call: async (p, c) => (await c.provisioner.unload({ node: c.node(p.node), signal: c.signal }), null) }),
  powerOn: method({ summary: 'Powers the node on.', params: onNode, call: async (p, c) => (await c.provisioner.powerOn({ node: c.node(p.node), signal: c.signal }), null) }),
  powerOff: method({
    summary: 'Powers the node off (graceful: ask the guest, then force after timeoutMs).',
    params: z.object({ node: nodeParam, mode: z.enum(['graceful', 'hard']).optional(), timeoutMs: timeoutMs.optional() }).strict(),
    call: async (p, c) => (await c.provisioner.powerOff(defined({ node: c.node(p.node), mode: p.mode, timeoutMs: p.timeoutMs, signal: c.signal })), null),
  }),
  powerReset: method({ summary: 'Resets the node.', params: onNode, call: async (p, c) => (await c.provisioner.powerReset({ node: c.node(p.node), signal: c.signal }), null) }),
  powerStatus: method({ summary: 'The power state: on, off, suspended or unknown.', params: onNode, call: (p, c) => c.provisioner.powerStatus({ node: c.node(p.node), signal: c.signal }) }),
  getCurrentImage: method({
    summary: "The image the node was loaded with, from the host's records (null: none recorded).",
    params: onNode,
    call: async (p, c) => (await c.provisioner.getCurrentImage({ node: c.node(p.node), signal: c.signal })) ?? null,
  }),
  getImageSize: method({ summary: 'The virtual and allocated bytes of an image.', params: onImage, call: (p, c) => c.provisioner.getImageSize({ image: p.image, signal: c.signal }) }),
  doesImageExist: method({ summary: 'Whether the library holds the image.', params: onImage, call: (p, c) => c.provisioner.doesImageExist({ image: p.image, signal: c.signal }) }),
  retrieveImage: method({
    summary: "Copies an image from another library, reached through another configuration file's provisioner.",
    params: z.object({ image, fromConfig: z.string().describe('path of a configuration file whose provisioner holds the image') }).strict(),
    call: async (p, c) => {
      const from = await c.provisionerFrom(p.fromConfig);
      try {
        await c.provisioner.retrieveImage({ image: p.image, from, signal: c.signal });
        return null;
      } finally {
        await from.close();
      }
    },
  }),
  listImages: method({ summary: 'The image library.', params: z.object({ base: z.string().optional() }).strict(), call: (p, c) => c.provisioner.listImages(defined({ base: p.base, signal: c.signal })) }),
  deleteImage: method({ summary: 'Deletes an image (refused while a node depends on it).', params: onImage, call: (p, c) => c.provisioner.deleteImage({ image: p.image, signal: c.signal }) }),
} satisfies Record<ProvisionerOperation, MethodSpec>;

/** Every `OsModuleV1` operation, as `os.<operation>`. */
export const OS_METHODS = {
  waitForResponse: method({ summary: 'Waits until the guest answers SSH and runs a command.', params: wait, call: async (p, c) => (await os(c).waitForResponse(defined({ node: c.node(p.node), timeoutMs: p.timeoutMs, signal: c.signal })), null) }),
  postLoad: method({
    summary: 'Host keys, hostname, customization, then records post-load in currentimage.txt.',
    progress: true,
    params: z.object({ node: nodeParam, image, customization: customization.optional() }).strict(),
    call: async (p, c) => (await os(c).postLoad({ image: p.image, ...toCustomization(p.customization, c), node: c.node(p.node), signal: c.signal, onProgress: c.onProgress }), null),
  }),
  preCapture: method({
    summary: "Generalizes the guest for capture (VCL's pre_capture) and leaves it in endState (default off).",
    progress: true,
    params: z.object({ node: nodeParam, endState: endState.optional(), operations: z.array(z.string()).optional(), timeoutMs: timeoutMs.optional() }).strict(),
    call: (p, c) => os(c).preCapture(defined({ node: c.node(p.node), endState: p.endState, operations: p.operations, timeoutMs: p.timeoutMs, signal: c.signal, onProgress: c.onProgress })),
  }),
  createUser: method({
    summary: 'Creates a local user (password, SSH keys, administrator).',
    params: user.extend({ node: nodeParam }).strict(),
    call: async (p, c) => {
      const { node, ...given } = p;
      await os(c).createUser({ ...toUser(given, c), node: c.node(node), signal: c.signal });
      return null;
    },
  }),
  deleteUser: method({
    summary: 'Deletes a local user (and its home unless removeHome is false).',
    params: z.object({ node: nodeParam, username: z.string(), removeHome: z.boolean().optional() }).strict(),
    call: async (p, c) => (await os(c).deleteUser(defined({ node: c.node(p.node), username: p.username, removeHome: p.removeHome, signal: c.signal })), null),
  }),
  setPassword: method({
    summary: "Sets a user's password (never echoed back, redacted from errors).",
    params: z.object({ node: nodeParam, username: z.string(), password: z.string() }).strict(),
    call: async (p, c) => (await os(c).setPassword({ node: c.node(p.node), username: p.username, password: c.secret(p.password), signal: c.signal }), null),
  }),
  randomizeAdminPasswords: method({
    summary: "Gives every administrator account a new random password (VCL's load does); answers whose, never the passwords.",
    params: onNode,
    call: async (p, c) => ({ accounts: Object.keys((await os(c).randomizeAdminPasswords({ node: c.node(p.node), signal: c.signal })).passwords).sort() }),
  }),
  grantAccess: method({ summary: 'Opens ports to one remote address only.', params: z.object(access).strict(), call: async (p, c) => (await os(c).grantAccess({ node: c.node(p.node), remoteIp: p.remoteIp, ports: p.ports, signal: c.signal }), null) }),
  revokeAccess: method({ summary: 'Closes what grantAccess opened.', params: z.object(access).strict(), call: async (p, c) => (await os(c).revokeAccess({ node: c.node(p.node), remoteIp: p.remoteIp, ports: p.ports, signal: c.signal }), null) }),
  readCurrentImage: method({ summary: "The guest's currentimage.txt (null: none).", params: onNode, call: async (p, c) => (await os(c).readCurrentImage({ node: c.node(p.node), signal: c.signal })) ?? null }),
  writeCurrentImage: method({
    summary: "Writes the guest's currentimage.txt.",
    params: z.object({ node: nodeParam, info: z.object({ image, properties: z.record(z.string(), z.string()), postLoadDone: z.boolean() }).strict() }).strict(),
    call: async (p, c) => (await os(c).writeCurrentImage({ node: c.node(p.node), info: p.info, signal: c.signal }), null),
  }),
  shutdown: method({ summary: 'Shuts the guest down and waits until SSH stops answering.', params: wait, call: async (p, c) => (await os(c).shutdown(defined({ node: c.node(p.node), timeoutMs: p.timeoutMs, signal: c.signal })), null) }),
  reboot: method({ summary: 'Reboots the guest and waits until SSH answers again.', params: wait, call: async (p, c) => (await os(c).reboot(defined({ node: c.node(p.node), timeoutMs: p.timeoutMs, signal: c.signal })), null) }),
} satisfies Record<OsOperation, MethodSpec>;

/** Every method by its wire name: `provisioner.load`, `os.preCapture`, ... */
export const SERVE_METHODS: ReadonlyMap<string, MethodSpec> = new Map([
  ...Object.entries(PROVISIONER_METHODS).map(([name, spec]) => [`provisioner.${name}`, spec] as const),
  ...Object.entries(OS_METHODS).map(([name, spec]) => [`os.${name}`, spec] as const),
]);
