import type { z } from 'zod';
import { InvalidInputError } from '../errors/index.ts';

/**
 * Parses one section of a configuration file with its schema. Every refusal has one form,
 * `Invalid <full.path>: <reason>` as an {@link InvalidInputError} whose `field` is the full
 * path (`provisioner.host.port`), so every module reports a bad setting the same way.
 *
 * @param schema the section's schema (see `configObject`)
 * @param path where the section sits in the file, e.g. `provisioner`
 * @param value the parsed YAML/JSON
 */
export function parseConfig<Schema extends z.ZodType>(schema: Schema, path: string, value: unknown): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = pickIssue(result.error.issues);
  const { field, message } = describeIssue(issue, path);
  throw new InvalidInputError(field, message, { cause: result.error });
}

/** An unknown key first: its typo also makes the intended key look missing. */
function pickIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  return issues.find((issue) => issue.code === 'unrecognized_keys') ?? issues[0]!;
}

function describeIssue(issue: z.core.$ZodIssue, path: string): { field: string; message: string } {
  // Inside a union, the branch whose discriminator matched holds the useful issue.
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const nested = issue.errors.map((branch) => pickIssue(branch)).find((candidate) => candidate.path.length > 0) ?? pickIssue(issue.errors[0]!);
    return describeIssue({ ...nested, path: [...issue.path, ...nested.path] } as z.core.$ZodIssue, path);
  }
  const segments = [...issue.path];
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) segments.push(issue.keys[0]);
  const field = [path, ...segments.map(String)].filter((part) => part !== '').join('.') || 'configuration';
  return { field, message: reason(issue) };
}

function reason(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return 'is required';
  if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) return `must be one of ${(issue.options as unknown[]).map(String).join(', ')}`;
  return issue.message.replace(/^Invalid input: /, '');
}
