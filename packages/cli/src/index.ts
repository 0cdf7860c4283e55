/**
 * `@provkit/cli`: the `provkit` command, and its parts for embedding (`main`, configuration).
 * @packageDocumentation
 */
export { main, USAGE, type MainOptions } from './main.ts';
export { loadConfig, checkConfig, nodeFromConfig, defaultConfigPath, type CliConfig, type ModuleConfig } from './config.ts';
export { EXIT, EXIT_MEANINGS, exitCodeFor } from './exit-codes.ts';
export { createOsModule, createProvisioner, resolveModule } from './modules.ts';
export { parseBytes, parseWholeNumber } from './units.ts';
export { serve, type ServeOptions, type ServeResult } from './serve/serve-server.ts';
export { serveSchema } from './serve/serve-schema.ts';
export { SERVE_ERROR_CODES, type ServeErrorData } from './serve/serve-errors.ts';
