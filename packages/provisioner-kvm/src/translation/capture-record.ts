/**
 * provkit's capture record on a domain: a second `<metadata>` element, apart from the node's
 * own record (which says provkit made the domain), written by `capture` so that a later
 * capture, in any process, knows what the last one did to the node's disk. It lives in the
 * domain's persistent definition, so it goes with the domain when the node is unloaded.
 */
import { UnexpectedOutputError } from '@provkit/core';
import { xml } from './xml.ts';

/** Namespace of the capture record (`virsh metadata --uri`). */
export const CAPTURE_RECORD_NAMESPACE = 'https://provkit.dev/xmlns/kvm/capture/v1';
/** Prefix libvirt is given for the element (`virsh metadata --key`). */
export const CAPTURE_RECORD_KEY = 'provkitcapture';

/**
 * `generalizing`: the OS module's preCapture started on the node and has not been seen to
 * finish (the guest may be partly generalized). `generalized`: preCapture finished and the
 * node was found off, with its disk as `disk` says.
 */
export type CapturePhase = 'generalizing' | 'generalized';

/** What a capture recorded on the node. */
export interface CaptureRecord {
  /** The image the capture that wrote the record was making. */
  image: string;
  phase: CapturePhase;
  /**
   * The node's disk when it was recorded generalized (size and modification time, from
   * `diskFingerprintCommand`): if the disk has changed since (the node ran), the record
   * no longer holds.
   */
  disk?: string;
}

/** The element `virsh metadata --set` stores. */
export function buildCaptureRecord(record: CaptureRecord): string {
  return xml`<capture image="${record.image}" phase="${record.phase}"${record.disk === undefined ? '' : xml` disk="${record.disk}"`}/>`.text;
}

/**
 * Reads the element `virsh metadata --uri <namespace>` prints; `undefined` for no output. A
 * record provkit cannot read is an error, not "no record": guessing could skip generalization.
 */
export function parseCaptureRecord(output: string): CaptureRecord | undefined {
  const text = output.trim();
  if (text === '') return undefined;
  const element = /^<(?:\w+:)?capture\b([^>]*?)\/?>/.exec(text);
  const attributes = new Map<string, string>();
  for (const match of (element?.[1] ?? '').matchAll(/(\w+)=(?:"([^"]*)"|'([^']*)')/g)) attributes.set(match[1]!, unescapeAttribute(match[2] ?? match[3] ?? ''));
  const image = attributes.get('image');
  const phase = attributes.get('phase');
  if (!element || !image || (phase !== 'generalizing' && phase !== 'generalized')) throw new UnexpectedOutputError('virsh metadata', output, 'not a provkit capture record');
  const disk = attributes.get('disk');
  return { image, phase, ...(disk === undefined ? {} : { disk }) };
}

/** True when `virsh metadata` failed only because the domain has no such element. */
export function isNoMetadata(stderr: string): boolean {
  return /metadata not found|Requested metadata element is not present/i.test(stderr);
}

/** Size and modification time (nanoseconds) of a file: changes whenever QEMU writes to the disk. */
export function diskFingerprintCommand(path: string): string[] {
  return ['stat', '--format=%s %.9Y', '--', path];
}

function unescapeAttribute(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_match, name: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[name]!);
}
