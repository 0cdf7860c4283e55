/** The `load` steps of a fresh node, in order: every LOAD_STEPS word but `node-replaced` and `load-failed`. */
export const FRESH_LOAD_STEPS = ['started', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'post-load-done', 'load-done'] as const;

/** The `load` steps over an existing managed node: the fresh ones with `node-replaced` after `started`. */
export const REPLACING_LOAD_STEPS = ['started', 'node-replaced', ...FRESH_LOAD_STEPS.slice(1)] as const;

/** The `capture` steps with end state `off`. */
export const CAPTURE_OFF_STEPS = ['started', 'pre-capture-done', 'powered-off', 'image-stored', 'capture-done'] as const;

/** The `capture` steps with end state `on` or `reboot`. */
export const CAPTURE_ON_STEPS = ['started', 'pre-capture-done', 'powered-off', 'image-stored', 'powered-on', 'capture-done'] as const;

/** The `unload` steps of a node that is on. */
export const UNLOAD_RUNNING_STEPS = ['started', 'powered-off', 'node-removed', 'unload-done'] as const;
