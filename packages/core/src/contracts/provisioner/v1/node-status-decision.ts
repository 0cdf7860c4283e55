import { throwIfAborted } from '../../../wait/index.ts';
import type { NodeSpec } from '../../shared/v1/node.ts';
import type { OsModuleV1 } from '../../os-module/v1/os-module-v1.ts';
import type { NodeStatusResult, PowerState } from './status.ts';

/** What the provisioner learned from its host about one node, for {@link decideNodeStatus}. */
export interface NodeStatusFacts {
  node: NodeSpec;
  /** False when no node of that name is defined on the host. */
  exists: boolean;
  power: PowerState;
  /** The image the host's own records say the node was loaded with, if it keeps any. */
  recordedImage?: string | undefined;
  /** The image the caller wants (`nodeStatus({ image })`). */
  wantedImage?: string | undefined;
  /** The OS module that reads the guest's `currentimage.txt`; without one the status is `reload`. */
  osModule?: OsModuleV1 | undefined;
  /** Bound on the guest probe. */
  sshTimeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Why the node does not count as one (e.g. an ESX template), when it does not. */
  notANode?: string | undefined;
}

/**
 * VCL's node_status decision, the one implementation every provisioner uses: `ready` only if
 * the node is on, its SSH answers, the guest's `currentimage.txt` names the wanted image (or,
 * without one, the image the host recorded), and post-load finished; `post-load` when only
 * post-load is missing; `reload` otherwise, with the reason in `detail`. An abort of `signal`
 * throws `AbortedError`; a guest that does not answer within `sshTimeoutMs` is `reload`.
 */
export async function decideNodeStatus(facts: NodeStatusFacts): Promise<NodeStatusResult> {
  const { node, power } = facts;
  throwIfAborted(facts.signal, `status of ${node.name}`);
  if (!facts.exists) return { status: 'reload', power: 'off', ssh: false, detail: `node ${node.name} does not exist on the host` };
  if (facts.notANode !== undefined) return { status: 'reload', power, ssh: false, detail: facts.notANode };
  const recorded = facts.recordedImage === undefined ? {} : { currentImage: facts.recordedImage };
  if (power !== 'on') return { status: 'reload', power, ssh: false, ...recorded, detail: `node ${node.name} is ${power}` };
  const wanted = facts.wantedImage;
  if (wanted !== undefined && facts.recordedImage !== undefined && facts.recordedImage !== wanted) {
    return { status: 'reload', power, ssh: false, ...recorded, detail: `the node was loaded from ${facts.recordedImage}, not ${wanted}` };
  }
  if (!facts.osModule) return { status: 'reload', power, ssh: false, ...recorded, detail: 'no OS module given: the guest cannot be checked' };
  if (!node.address) return { status: 'reload', power, ssh: false, ...recorded, detail: 'the node has no address to check its SSH' };
  const timeout = AbortSignal.timeout(facts.sshTimeoutMs);
  const probe = facts.signal ? AbortSignal.any([facts.signal, timeout]) : timeout;
  let current;
  try {
    current = await facts.osModule.readCurrentImage({ node, signal: probe });
  } catch (error) {
    throwIfAborted(facts.signal, `status of ${node.name}`);
    return { status: 'reload', power, ssh: false, ...recorded, detail: `SSH did not answer: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!current) return { status: 'reload', power, ssh: true, detail: 'the guest has no currentimage.txt' };
  const answered = { power, ssh: true, currentImage: current.image };
  const image = wanted ?? facts.recordedImage;
  if (image !== undefined && current.image !== image) return { status: 'reload', ...answered, detail: `the guest runs ${current.image}, not ${image}` };
  if (!current.postLoadDone) return { status: 'post-load', ...answered, detail: 'the image is loaded but post-load did not finish' };
  return { status: 'ready', ...answered, detail: `running ${current.image}, post-load done` };
}
