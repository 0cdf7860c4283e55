import type { NodeSpec, OsModuleV1, ProvisionerV1 } from '@provkit/core';
import type { Output } from '../output.ts';

/** What every command gets: parsed flags, output, lazily built modules, the Ctrl-C signal. */
export interface CommandContext {
  positionals: string[];
  flags: Record<string, string | boolean | undefined>;
  output: Output;
  signal: AbortSignal;
  provisioner(): Promise<ProvisionerV1>;
  osModule(): Promise<OsModuleV1 | undefined>;
  node(name: string | undefined): NodeSpec;
}
