import { XMLParser } from 'fast-xml-parser';
import { moRef, type MoRef, type XmlFragment } from './xml.ts';

const ENVELOPE_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?>' +
  '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
  '<soapenv:Body>';
const ENVELOPE_CLOSE = '</soapenv:Body></soapenv:Envelope>';

/** A vim25 request: the method name and the object it is called on (for events and faults), and its envelope. */
export interface VimRequest {
  method: string;
  /** The managed object the method is called on (`_this`). */
  object: MoRef;
  body: string;
}

/** Wraps a call of `method` on `object` (`<method xmlns="urn:vim25"><_this>…`) in a SOAP envelope. */
export function soapRequest(method: string, object: MoRef, ...parameters: Array<XmlFragment | undefined | false>): VimRequest {
  const inner = [moRef('_this', object), ...parameters].map((parameter) => (parameter ? parameter.xml : '')).join('');
  return { method, object, body: `${ENVELOPE_OPEN}<${method} xmlns="urn:vim25">${inner}</${method}>${ENVELOPE_CLOSE}` };
}

/** A parsed XML node: text in `#text`, attributes as `@_name` (with their prefix, e.g. `@_xsi:type`). */
export type XmlNode = { [key: string]: XmlValue };
/** A parsed XML value: text, a node, or repeated elements. */
export type XmlValue = string | XmlNode | XmlValue[];

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Element prefixes go (soapenv:Body → Body); attribute prefixes stay, because a value can
  // carry both `type` (a reference's type) and `xsi:type` (its XML schema type).
  transformTagName: (name) => name.slice(name.indexOf(':') + 1),
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
});

/** What a SOAP response held: the method's response element, or a fault. */
export type SoapResponse = { kind: 'result'; result: XmlNode } | { kind: 'fault'; fault: SoapFault };

/** A SOAP fault: the vim25 fault type (from the detail's `xsi:type`) and its message. */
export interface SoapFault {
  /** vim25 fault type, e.g. `DuplicateName`, `ManagedObjectNotFound`; `faultcode` when no detail. */
  type: string;
  message: string;
  /** The fault object's fields. */
  detail: XmlNode;
}

/** Parses a response envelope into the method's response element or a fault. */
export function parseSoapResponse(xml: string, method: string): SoapResponse {
  const document = parser.parse(xml) as XmlNode;
  const body = child(child(document, 'Envelope'), 'Body');
  if (body === undefined) throw new SyntaxError(`${method}: the response is not a SOAP envelope`);
  const fault = child(body, 'Fault');
  if (fault !== undefined) return { kind: 'fault', fault: parseFault(fault) };
  const result = child(body, `${method}Response`);
  if (result === undefined) throw new SyntaxError(`${method}: the response has no ${method}Response element`);
  return { kind: 'result', result };
}

function parseFault(fault: XmlNode): SoapFault {
  const message = textOf(fault['faultstring']) ?? '';
  const detailNode = child(fault, 'detail');
  if (detailNode !== undefined) {
    for (const [key, value] of Object.entries(detailNode)) {
      if (key.startsWith('@_') || typeof value !== 'object' || Array.isArray(value)) continue;
      return { type: xsiType(value) ?? key.replace(/Fault$/, ''), message, detail: value };
    }
  }
  return { type: textOf(fault['faultcode']) ?? 'ServerFaultCode', message, detail: {} };
}

const PREFIXED_TYPE = /^@_[A-Za-z_][\w.-]*:type$/;

/**
 * The `xsi:type` of a value without its namespace prefix, if it has one. Servers pick the
 * prefix of the XML Schema instance namespace freely (vSphere `xsi:`, the simulator
 * `XMLSchema-instance:`); vim25 has no other prefixed `type` attribute, so any prefix counts.
 */
export function xsiType(node: XmlValue | undefined): string | undefined {
  if (node === undefined || typeof node !== 'object' || Array.isArray(node)) return undefined;
  for (const [key, value] of Object.entries(node)) {
    if (PREFIXED_TYPE.test(key) && typeof value === 'string') return stripPrefix(value);
  }
  return undefined;
}

function stripPrefix(name: string): string {
  return name.slice(name.indexOf(':') + 1);
}

/** The single child element `name` of `node`, when it is an element. */
export function child(node: XmlValue | undefined, name: string): XmlNode | undefined {
  if (node === undefined || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const value = node[name];
  if (Array.isArray(value)) return typeof value[0] === 'object' && !Array.isArray(value[0]) ? value[0] : undefined;
  if (typeof value === 'string') return { '#text': value };
  return value;
}

/** Every child element `name` of `node` (repeated elements parse as an array, a single one does not). */
export function children(node: XmlValue | undefined, name: string): XmlValue[] {
  if (node === undefined || typeof node !== 'object' || Array.isArray(node)) return [];
  const value = node[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The text of an element (a string, or a node with `#text`); `undefined` when absent. */
export function textOf(node: XmlValue | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return textOf(node[0]);
  const value = node['#text'];
  if (typeof value === 'string') return value;
  // An element with attributes but no text, or an empty element.
  return Object.keys(node).every((key) => key.startsWith('@_')) ? '' : undefined;
}

/** The text of child `name`. */
export function childText(node: XmlValue | undefined, name: string): string | undefined {
  if (node === undefined || typeof node !== 'object' || Array.isArray(node)) return undefined;
  return textOf(node[name]);
}
