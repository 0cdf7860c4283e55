import { InvalidInputError } from '../errors/index.ts';

// Characters XML 1.0 cannot carry at all, even escaped: C0 controls other than tab, LF and
// CR, lone surrogates, U+FFFE and U+FFFF. Refusing them beats a peer's parse error later.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * The one XML escaper of provkit, used by every module that writes XML (libvirt domain XML,
 * vSphere SOAP requests, Windows unattend files): escapes `&<>"'` so the value is safe as
 * element text and as a single- or double-quoted attribute value. A character XML cannot
 * represent at all is refused with `InvalidInputError` naming `field`.
 */
export function escapeXml(value: string | number, field = 'XML text'): string {
  const text = String(value);
  if (FORBIDDEN.test(text)) throw new InvalidInputError(field, 'contains a character XML cannot represent');
  return text.replace(/[&<>"']/g, (character) => ENTITIES[character]!);
}
