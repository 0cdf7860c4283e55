/**
 * Domain XML is built with the {@link xml} template, which escapes each interpolated value
 * with core's `escapeXml` (the one XML escaper of provkit), text and attribute values alike.
 */
import { escapeXml } from '@provkit/core';

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
