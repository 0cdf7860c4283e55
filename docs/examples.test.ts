/**
 * Every ```ts block in README.md, docs/*.md and the packages' READMEs is type-checked against
 * the packages' sources, so the guides cannot drift from the API (scripts/check-consumer.ts
 * checks the package READMEs again against the packed tarballs). A block whose first line is
 * `// file: name.ts` is written under that name, so a later block can import it.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const out = join(root, 'docs', '.examples');
const sources = [
  'README.md',
  ...readdirSync(join(root, 'docs')).filter((file) => file.endsWith('.md')).map((file) => join('docs', file)),
  ...readdirSync(join(root, 'packages')).map((name) => join('packages', name, 'README.md')),
];

function blocks(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

describe('code in the guides', () => {
  it('compiles every TypeScript example', () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const files: string[] = [];
    for (const source of sources) {
      blocks(source).forEach((code, index) => {
        // A block may name its file (`// file: name.ts`) so later blocks can import it.
        const named = /^\/\/ file: ([\w.-]+\.ts)\n/.exec(code)?.[1];
        const file = join(out, named ?? `${source.replace(/[/.]/g, '_')}-${index + 1}.ts`);
        // Each example is its own module (top-level await needs one).
        writeFileSync(file, `${code}\nexport {};\n`);
        files.push(file);
      });
    }
    expect(files.length).toBeGreaterThan(0);
    const config = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile).config as { compilerOptions: Record<string, unknown> };
    const { options } = ts.convertCompilerOptionsFromJson({ ...config.compilerOptions, composite: false, declaration: false, emitDeclarationOnly: false, noEmit: true }, root);
    const program = ts.createProgram(files, options);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const where = diagnostic.file ? `${diagnostic.file.fileName.replace(`${out}/`, '')}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}` : '';
      return `${where} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    });
    expect(diagnostics).toEqual([]);
  }, 120_000);
});
