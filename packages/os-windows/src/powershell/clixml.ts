const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Windows PowerShell started with `-EncodedCommand` and redirected streams writes its error
 * stream to stderr as CLIXML (`#< CLIXML` then `<Objs>` with `<S S="Error">` strings). This
 * returns the readable text: the error strings joined, XML entities and PowerShell's
 * `_xHHHH_` escapes decoded, colour escapes dropped. Text that is not CLIXML is returned unchanged.
 */
export function decodeClixml(stderr: string): string {
  const marker = stderr.indexOf('#< CLIXML');
  const start = marker >= 0 ? marker : stderr.indexOf('<Objs ');
  if (start < 0) return stderr;
  const before = stderr.slice(0, start);
  const body = stderr.slice(start);
  const errors: string[] = [];
  for (const match of body.matchAll(/<S S="Error">([\s\S]*?)<\/S>/g)) errors.push(unescape(match[1]!));
  // PowerShell 7 colours error text with ANSI escapes even when nobody reads it on a terminal.
  return (before + errors.join('')).replace(/\u001B\[[0-9;]*m/g, '').trim();
}

function unescape(text: string): string {
  return text
    .replace(/&(amp|lt|gt|quot|apos|#x[0-9A-Fa-f]+|#[0-9]+);/g, (entity, name: string) => {
      if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
      if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
      return ENTITIES[name] ?? entity;
    })
    .replace(/_x([0-9A-Fa-f]{4})_/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
