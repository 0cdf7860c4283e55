import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors/index.ts';
import { escapeXml } from './escape-xml.ts';

describe('escapeXml (the one XML escaper)', () => {
  it('escapes the five markup characters for text and quoted attributes, and leaves the rest', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('/var/lib/libvirt/images/web-1.qcow2')).toBe('/var/lib/libvirt/images/web-1.qcow2');
    expect(escapeXml('tab\tand\nnewline')).toBe('tab\tand\nnewline');
    expect(escapeXml('pair \uD83D\uDE00')).toBe('pair \uD83D\uDE00');
    expect(escapeXml(42)).toBe('42');
  });

  it('refuses characters XML cannot represent with InvalidInputError naming the field', () => {
    for (const bad of ['bell\u0007', 'a\u0001b', 'lone \uD800 surrogate', 'lone \uDC00 low', '\uFFFE']) {
      expect(() => escapeXml(bad, 'customization.hostname')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'customization.hostname' }));
    }
    expect(() => escapeXml('\u0007')).toThrow(InvalidInputError);
  });
});
