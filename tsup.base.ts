import { defineConfig, type Options } from 'tsup';

/** The build every package shares: ESM with bundled type declarations for Node 22+. */
export function packageBuild(entry: string[] = ['src/index.ts']): Options | Options[] {
  return defineConfig({ entry, format: ['esm'], dts: true, clean: true, target: 'node22', sourcemap: true }) as Options;
}
