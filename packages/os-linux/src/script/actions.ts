/** One change a guest script reported (`@provkit <verb> <object>` on its standard output). */
export interface GuestAction {
  /** What was done: `removed`, `truncated`, `created`, `changed`, `killed`, `deleted-user`, `kept`, ... */
  verb: string;
  /** What it was done to: a path, a user, a process. */
  object: string;
}

const MARKER = '@provkit ';

/** Reads the action lines of a guest script's output; other lines are ignored. */
export function parseActions(stdout: string): GuestAction[] {
  const actions: GuestAction[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(MARKER)) continue;
    const rest = line.slice(MARKER.length);
    const space = rest.indexOf(' ');
    const verb = space === -1 ? rest : rest.slice(0, space);
    const object = space === -1 ? '' : rest.slice(space + 1);
    if (verb) actions.push({ verb, object });
  }
  return actions;
}

/** Verbs that report a fact but no change to the guest. */
const NOT_CHANGES = new Set(['kept', 'note', 'failed']);

/** True when some action changed the guest. */
export function changedAnything(actions: readonly GuestAction[]): boolean {
  return actions.some((action) => !NOT_CHANGES.has(action.verb));
}

/**
 * A short human summary: `removed 3 (/a, /b, /c); truncated /etc/machine-id`. Lists at most
 * `limit` objects per verb so a report on a big /tmp stays readable.
 */
export function summarizeActions(actions: readonly GuestAction[], limit = 5): string {
  if (actions.length === 0) return 'nothing to do';
  const byVerb = new Map<string, string[]>();
  for (const action of actions) byVerb.set(action.verb, [...(byVerb.get(action.verb) ?? []), action.object]);
  return [...byVerb]
    .map(([verb, objects]) => {
      if (objects.length === 1) return `${verb} ${objects[0]}`;
      const shown = objects.slice(0, limit).join(', ');
      const more = objects.length > limit ? `, +${objects.length - limit} more` : '';
      return `${verb} ${objects.length} (${shown}${more})`;
    })
    .join('; ');
}
