/** The unattend file's element tree, serialized through core's `escapeXml` (the one XML escaper of provkit). */
import { escapeXml } from '@provkit/core';

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
  const attributes = (element.attributes ?? []).map(([key, value]) => ` ${key}="${escapeXml(value, `attribute ${key}`)}"`).join('');
  if (element.text !== undefined) return `${indent}<${element.name}${attributes}>${escapeXml(element.text, element.name)}</${element.name}>\n`;
  const children = element.children ?? [];
  if (children.length === 0) return `${indent}<${element.name}${attributes} />\n`;
  return `${indent}<${element.name}${attributes}>\n${children.map((child) => renderXml(child, `${indent}  `)).join('')}${indent}</${element.name}>\n`;
}
