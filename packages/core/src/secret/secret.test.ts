import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { randomPassword } from './random-password.ts';
import { redact, Secret } from './secret.ts';

describe('Secret', () => {
  it('prints [redacted] through every path that turns a value into text', () => {
    const secret = Secret.of('hunter2');
    const texts = [String(secret), `${secret}`, JSON.stringify({ secret }), inspect(secret), inspect({ nested: { secret } }), secret.toString()];
    for (const text of texts) expect(text).not.toContain('hunter2');
    expect(secret.reveal()).toBe('hunter2');
  });

  it('redacts secret values inside other text', () => {
    expect(redact('pw=hunter2 and hunter2', [Secret.of('hunter2')])).toBe('pw=[redacted] and [redacted]');
    expect(redact('nothing', [Secret.of('')])).toBe('nothing');
  });

  it('makes random passwords of the asked length from an unambiguous alphabet', () => {
    const a = randomPassword(24).reveal();
    const b = randomPassword(24).reveal();
    expect(a).toHaveLength(24);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-HJ-NP-Za-km-z2-9]+$/);
  });
});
