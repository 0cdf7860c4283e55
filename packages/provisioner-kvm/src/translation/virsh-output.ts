import { UnexpectedOutputError, type PowerState } from '@provkit/core';
import { PROVKIT_METADATA_NAMESPACE } from './domain-xml.ts';

/** libvirt's domain states as `virsh domstate` prints them. */
export type DomainState = 'running' | 'idle' | 'paused' | 'in shutdown' | 'shut off' | 'crashed' | 'pmsuspended' | 'no state';

const STATES: readonly DomainState[] = ['running', 'idle', 'paused', 'in shutdown', 'shut off', 'crashed', 'pmsuspended', 'no state'];

/** Parses `virsh domstate [--reason]`: `running (booted)` → `{ state: 'running', reason: 'booted' }`. */
export function parseDomState(output: string): { state: DomainState; reason?: string } {
  const line = output.trim().split('\n')[0] ?? '';
  const match = /^(.+?)(?: \((.+)\))?$/.exec(line.trim());
  const state = match?.[1] as DomainState | undefined;
  if (!state || !STATES.includes(state)) throw new UnexpectedOutputError('virsh domstate', output);
  return match?.[2] ? { state, reason: match[2] } : { state };
}

/** The contract's power state of a libvirt domain state. */
export function powerStateOf(state: DomainState): PowerState {
  switch (state) {
    case 'running':
    case 'idle':
    case 'in shutdown':
      return 'on';
    case 'shut off':
    case 'crashed':
      return 'off';
    case 'paused':
    case 'pmsuspended':
      return 'suspended';
    default:
      return 'unknown';
  }
}

/** One name a line (`virsh list --name`, `find -printf '%f\\n'`), blank lines dropped. */
export function parseNameList(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** One row of `virsh domblklist --details`. */
export interface BlockDevice {
  type: string;
  device: string;
  target: string;
  /** Host path, or undefined for an empty drive (`-`). */
  source: string | undefined;
}

/**
 * Parses `virsh domblklist --details`, with its header or without (`virsh --quiet` drops it).
 * Paths may contain spaces: the source is the rest of the line.
 */
export function parseDomBlkList(output: string): BlockDevice[] {
  const lines = output.split('\n');
  const rule = lines.findIndex((line) => /^-{5,}$/.test(line.trim()));
  if (rule >= 0 && !/\bType\b.*\bDevice\b.*\bTarget\b.*\bSource\b/.test(lines[rule - 1] ?? '')) {
    throw new UnexpectedOutputError('virsh domblklist --details', output, 'no header');
  }
  return lines
    .slice(rule + 1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const match = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
      if (!match) throw new UnexpectedOutputError('virsh domblklist --details', line, 'a row');
      return { type: match[1]!, device: match[2]!, target: match[3]!, source: match[4] === '-' ? undefined : match[4]! };
    });
}

/** True when virsh's error text says the domain does not exist. */
export function isNoSuchDomain(stderr: string): boolean {
  return /failed to get domain|Domain not found|no domain with matching name/i.test(stderr);
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_match, name: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[name]!);
}

/** What provkit's `<metadata>` element on a domain says: whether provkit made it, and from which image. */
export interface ProvkitRecord {
  /** True when the domain carries provkit's `<metadata>` element: provkit defined it and may replace or remove it. */
  managed: boolean;
  /** The image the node was loaded with, when recorded. */
  image?: string;
}

/**
 * provkit's record in a domain's `<metadata>` (from `virsh dumpxml`). libvirt rewrites the
 * namespace prefix it was given, so the element is found by its namespace URI; a domain
 * without it was not defined by provkit.
 */
export function parseProvkitRecord(domainXml: string): ProvkitRecord {
  const escapedNamespace = PROVKIT_METADATA_NAMESPACE.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const node = new RegExp(`<(\\w+):node\\s+xmlns:\\1=["']${escapedNamespace}["']\\s*>([\\s\\S]*?)</\\1:node>`).exec(domainXml);
  if (!node) return { managed: false };
  const image = new RegExp(`<${node[1]}:image>([^<]*)</${node[1]}:image>`).exec(node[2]!);
  return image ? { managed: true, image: unescapeXml(image[1]!) } : { managed: true };
}

/** The image provkit recorded in a domain's `<metadata>` (from `virsh dumpxml`), or undefined. */
export function parseRecordedImage(domainXml: string): string | undefined {
  return parseProvkitRecord(domainXml).image;
}

/** Parses `virsh --quiet list --all` (`Id Name State` rows, id `-` when off) into name → state. */
export function parseDomainList(output: string): Map<string, DomainState> {
  const states = new Map<string, DomainState>();
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const match = /^\s*(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    const state = match?.[3] as DomainState | undefined;
    if (!match || !state || !STATES.includes(state)) throw new UnexpectedOutputError('virsh list --all', output);
    states.set(match[2]!, state);
  }
  return states;
}

/** Splits the concatenated `virsh dumpxml` output of several domains into name → recorded image. */
export function parseRecordedImages(output: string): Map<string, string | undefined> {
  const images = new Map<string, string | undefined>();
  for (const document of output.split('</domain>')) {
    const name = /<name>([^<]*)<\/name>/.exec(document);
    if (name) images.set(unescapeXml(name[1]!), parseRecordedImage(document));
  }
  return images;
}
