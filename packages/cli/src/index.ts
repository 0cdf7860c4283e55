/**
 * `@provkit/cli`: the `provkit` command, and its parts for embedding (`main`, configuration).
 * @packageDocumentation
 */
export { main, USAGE } from './main.ts';
export { loadConfig, checkConfig, nodeFromConfig, defaultConfigPath, type CliConfig, type ModuleConfig } from './config.ts';
export { EXIT, exitCodeFor } from './exit-codes.ts';
export { parseBytes } from './units.ts';
