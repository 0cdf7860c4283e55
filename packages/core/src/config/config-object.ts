import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';

/**
 * A mapping of a configuration file that refuses keys it does not know, suggesting the
 * closest known one (`libaryDir` → `did you mean libraryDir?`): a typo must not pass silently
 * and leave the setting at its default.
 */
export function configObject<Shape extends z.ZodRawShape>(shape: Shape): z.ZodObject<Shape, z.core.$strict> {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? unknownKeyMessage(issue.keys, known) : undefined),
  });
}

/** The message for unknown keys; the first one is named by the error's field path. */
function unknownKeyMessage(keys: readonly string[], known: readonly string[]): string {
  const [first] = keys;
  const suggestion = first === undefined ? undefined : suggest(first, known);
  const others = keys.length > 1 ? ` (also unknown: ${keys.slice(1).join(', ')})` : '';
  return `unknown setting${suggestion ? `; did you mean ${suggestion}?` : `; known settings: ${known.join(', ')}`}${others}`;
}

/** The known key closest to `key`, when it is close enough to be a typo. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const caseless = known.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
  if (caseless) return caseless;
  const best = closest(key, [...known]);
  // A third of the word may differ: catches dropped, doubled or swapped letters, not other words.
  return distance(key, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}
