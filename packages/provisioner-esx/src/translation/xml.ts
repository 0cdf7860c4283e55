/**
 * Small builders of vim25 request XML on core's `escapeXml` (the one XML escaper of provkit):
 * every value that reaches a request goes through it; element names are constants.
 */
import { escapeXml } from '@provkit/core';

/** A piece of request XML that is already escaped. */
export interface XmlFragment {
  readonly xml: string;
}

/** A managed object reference, e.g. `{ type: 'VirtualMachine', value: 'vm-42' }`. */
export interface MoRef {
  type: string;
  value: string;
}

type Child = XmlFragment | undefined | false;

/** `<name>children…</name>`; `undefined`/`false` children are left out. */
export function element(name: string, ...children: Child[]): XmlFragment {
  return { xml: `<${name}>${children.map((child) => (child ? child.xml : '')).join('')}</${name}>` };
}

/** `<name xsi:type="type">children…</name>`, for polymorphic members. */
export function typedElement(name: string, type: string, ...children: Child[]): XmlFragment {
  return { xml: `<${name} xsi:type="${escapeXml(type)}">${children.map((child) => (child ? child.xml : '')).join('')}</${name}>` };
}

/** `<name>value</name>` with the value escaped; `undefined` gives nothing. */
export function text(name: string, value: string | number | boolean | undefined): XmlFragment | undefined {
  if (value === undefined) return undefined;
  return { xml: `<${name}>${escapeXml(String(value))}</${name}>` };
}

/** `<name type="Type">value</name>`: a managed object reference. */
export function moRef(name: string, ref: MoRef | undefined): XmlFragment | undefined {
  if (ref === undefined) return undefined;
  return { xml: `<${name} type="${escapeXml(ref.type)}">${escapeXml(ref.value)}</${name}>` };
}

/** Concatenates fragments. */
export function fragments(...children: Child[]): XmlFragment {
  return { xml: children.map((child) => (child ? child.xml : '')).join('') };
}
