/**
 * vitest global setup of the `lab` project: remembers which services were already up and,
 * after the run, stops the ones the tests brought up, so a test run leaves nothing behind.
 * Tests bring up what they need with `ensureLabService` (lazily, so a single file starts only
 * its own peers).
 */
import { isLabServiceUp, labServices, stopLabService } from './services.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const before = new Map<string, boolean>();
  for (const name of labServices()) before.set(name, await isLabServiceUp(name));
  return async () => {
    if (process.env.PROVKIT_LAB_KEEP === '1') return;
    for (const name of [...labServices()].reverse()) {
      if (!before.get(name) && (await isLabServiceUp(name))) await stopLabService(name);
    }
  };
}
