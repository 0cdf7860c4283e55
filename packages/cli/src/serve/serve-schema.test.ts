import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROVKIT_ERROR_CODES } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { OS_METHODS, PROVISIONER_METHODS } from './serve-methods.ts';
import { serveSchema } from './serve-schema.ts';

const committed = join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'serve-schema.json');

describe("provkit serve's schema", () => {
  it('is committed as generated: docs/serve-schema.json equals `provkit serve --schema` (regenerate with the command in docs/serve.md)', () => {
    expect(JSON.parse(readFileSync(committed, 'utf8'))).toEqual(JSON.parse(JSON.stringify(serveSchema())));
  });

  it('lists one method per row of the method table (the type checker holds the table to the contracts) and every provkit error code', () => {
    const schema = serveSchema() as { methods: Record<string, unknown>; errors: { data: { properties: { code: { enum: string[] } } } } };
    expect(Object.keys(schema.methods).sort()).toEqual([...Object.keys(PROVISIONER_METHODS).map((name) => `provisioner.${name}`), ...Object.keys(OS_METHODS).map((name) => `os.${name}`)].sort());
    expect(schema.errors.data.properties.code.enum).toEqual([...PROVKIT_ERROR_CODES]);
  });
});
