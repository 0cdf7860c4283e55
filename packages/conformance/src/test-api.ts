import type { describe as vitestDescribe, it as vitestIt } from 'vitest';

/** The test functions a suite registers its tests with (pass vitest's own). */
export interface TestApi {
  describe: typeof vitestDescribe;
  it: typeof vitestIt;
}

/** Collects every event a module emits during a test, to check what it says and what it never says. */
export function recordEvents(emitter: { on(event: string, listener: (payload: unknown) => void): unknown; off(event: string, listener: (payload: unknown) => void): unknown }): {
  events: Array<{ name: string; payload: unknown }>;
  stop: () => void;
} {
  const events: Array<{ name: string; payload: unknown }> = [];
  const listeners = (['progress', 'command', 'warning'] as const).map((name) => {
    const listener = (payload: unknown): void => {
      events.push({ name, payload });
    };
    emitter.on(name, listener);
    return { name, listener };
  });
  return { events, stop: () => listeners.forEach(({ name, listener }) => emitter.off(name, listener)) };
}

/** Wraps a test body so it gets a fresh module from `create` and the module is closed afterwards. */
export function withFresh<Module extends { close(): Promise<void> }>(create: () => Promise<Module> | Module, body: (module: Module) => Promise<void>): () => Promise<void> {
  return async () => {
    const module = await create();
    try {
      await body(module);
    } finally {
      await module.close();
    }
  };
}
