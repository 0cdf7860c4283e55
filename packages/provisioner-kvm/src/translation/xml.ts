/**
 * The one XML escaping helper of this package: every value that reaches domain XML goes
 * through {@link escapeXml} (text and attribute values alike), or through the {@link xml}
 * template, which escapes each interpolated value.
 */

/** A piece of XML that {@link xml} inserts as is (already built by this helper). */
export class XmlFragment {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

// XML 1.0 forbids these control characters even escaped; refusing them beats a libvirt parse error.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** Escapes text for XML element content and quoted attribute values (`&<>"'`). */
export function escapeXml(value: string | number): string {
  const text = String(value);
  if (FORBIDDEN.test(text)) throw new RangeError('XML text cannot contain control characters');
  return text.replace(/[&<>"']/g, (char) => `&${({ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' })[char]};`);
}

/** A value {@link xml} accepts: escaped text, a fragment inserted verbatim, or a list of fragments. */
export type XmlValue = string | number | XmlFragment | readonly XmlFragment[];

/** Tagged template building XML: strings and numbers are escaped, fragments are inserted as is. */
export function xml(strings: TemplateStringsArray, ...values: XmlValue[]): XmlFragment {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    if (value instanceof XmlFragment) out += value.text;
    else if (Array.isArray(value)) out += value.map((fragment: XmlFragment) => fragment.text).join('');
    else out += escapeXml(value as string | number);
    out += strings[index + 1] ?? '';
  });
  return new XmlFragment(out);
}
