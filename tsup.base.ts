import { defineConfig, type Options } from 'tsup';

/**
 * The build every package shares: ESM (which Node 22.12+ also loads through `require`) with
 * bundled type declarations for Node 22+, and source maps that carry the sources (the tarball
 * ships `dist/` only). Members marked `@internal` stay out of the declarations, so
 * implementation types (ssh2's, for one) never reach a consumer's compiler.
 */
export function packageBuild(entry: string[] = ['src/index.ts']): Options | Options[] {
  return defineConfig({
    entry,
    format: ['esm'],
    dts: { compilerOptions: { stripInternal: true } },
    clean: true,
    target: 'node22',
    sourcemap: true,
  }) as Options;
}
