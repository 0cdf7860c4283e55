/**
 * The one XML escaping helper of the vim25 client, and small builders on top of it. Every
 * value that reaches a request goes through {@link escapeXml}; element names are constants.
 */

/** A piece of request XML that is already escaped. */
export interface XmlFragment {
  readonly xml: string;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for an XML element body or a double-quoted attribute. */
export function escapeXml(value: string): string {
  // Characters XML 1.0 cannot carry at all are refused rather than silently dropped.
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(value)) throw new RangeError('value contains a character XML cannot carry');
  return value.replace(/[&<>"']/g, (character) => ENTITIES[character]!);
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
