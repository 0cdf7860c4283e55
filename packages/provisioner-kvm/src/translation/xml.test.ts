import { describe, expect, it } from 'vitest';
import { xml, XmlFragment } from './xml.ts';

describe('xml template', () => {
  it('escapes interpolated text but inserts fragments verbatim', () => {
    const inner = xml`<b>${'<x>'}</b>`;
    expect(xml`<a name=${"'q'"}>${inner}${[inner, inner]}</a>`.text).toBe(`<a name=&apos;q&apos;><b>&lt;x&gt;</b><b>&lt;x&gt;</b><b>&lt;x&gt;</b></a>`);
    expect(inner).toBeInstanceOf(XmlFragment);
  });
  it('refuses control characters XML cannot carry (core escaper, typed)', () => {
    expect(() => xml`<name>${'a\u0001b'}</name>`).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
  it('keeps an attribute injection attempt inside the attribute', () => {
    expect(xml`<source file='${"x'/><evil a='"}'/>`.text).toBe(`<source file='x&apos;/&gt;&lt;evil a=&apos;'/>`);
  });
});
