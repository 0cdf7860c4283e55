import { describe, expect, it } from 'vitest';
import { escapeXml, xml, XmlFragment } from './xml.ts';

describe('escapeXml', () => {
  it('escapes the five XML special characters', () => {
    expect(escapeXml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
  });
  it('leaves ordinary text and numbers alone', () => {
    expect(escapeXml('/var/lib/libvirt/images/web-1.qcow2')).toBe('/var/lib/libvirt/images/web-1.qcow2');
    expect(escapeXml(42)).toBe('42');
  });
  it('refuses control characters XML cannot carry', () => {
    expect(() => escapeXml('a\u0001b')).toThrow(RangeError);
  });
});

describe('xml template', () => {
  it('escapes interpolated text but inserts fragments verbatim', () => {
    const inner = xml`<b>${'<x>'}</b>`;
    expect(xml`<a name=${"'q'"}>${inner}${[inner, inner]}</a>`.text).toBe(`<a name=&apos;q&apos;><b>&lt;x&gt;</b><b>&lt;x&gt;</b><b>&lt;x&gt;</b></a>`);
    expect(inner).toBeInstanceOf(XmlFragment);
  });
  it('keeps an attribute injection attempt inside the attribute', () => {
    expect(xml`<source file='${"x'/><evil a='"}'/>`.text).toBe(`<source file='x&apos;/&gt;&lt;evil a=&apos;'/>`);
  });
});
