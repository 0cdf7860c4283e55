import { InvalidInputError } from '@provkit/core';

// Characters XML 1.0 cannot carry at all, even escaped: C0 controls other than tab, LF and
// CR, lone surrogates, U+FFFE and U+FFFF.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Escapes `value` for XML text or a quoted attribute value. `field` names the input in the
 * error thrown for characters XML cannot represent.
 */
export function xmlEscape(value: string, field = 'XML text'): string {
  if (FORBIDDEN.test(value)) throw new InvalidInputError(field, 'contains a character XML cannot represent');
  return value.replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

/** One XML element: name, attributes in order, then text or child elements. */
export interface XmlElement {
  name: string;
  attributes?: ReadonlyArray<readonly [string, string]>;
  children?: ReadonlyArray<XmlElement>;
  text?: string;
}

/** Shorthand for an element with children. */
export function el(name: string, attributes: ReadonlyArray<readonly [string, string]>, children: ReadonlyArray<XmlElement>): XmlElement {
  return { name, attributes, children };
}

/** Shorthand for an element holding text. */
export function textEl(name: string, text: string, attributes: ReadonlyArray<readonly [string, string]> = []): XmlElement {
  return { name, attributes, text };
}

/** Serializes an element tree, indented by two spaces; every text and attribute is escaped. */
export function renderXml(element: XmlElement, indent = ''): string {
  const attributes = (element.attributes ?? []).map(([key, value]) => ` ${key}="${xmlEscape(value, `attribute ${key}`)}"`).join('');
  if (element.text !== undefined) return `${indent}<${element.name}${attributes}>${xmlEscape(element.text, element.name)}</${element.name}>\n`;
  const children = element.children ?? [];
  if (children.length === 0) return `${indent}<${element.name}${attributes} />\n`;
  return `${indent}<${element.name}${attributes}>\n${children.map((child) => renderXml(child, `${indent}  `)).join('')}${indent}</${element.name}>\n`;
}
