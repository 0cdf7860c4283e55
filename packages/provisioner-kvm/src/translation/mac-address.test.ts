import { InvalidInputError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { checkMacAddress, macForNode } from './mac-address.ts';

describe('MAC addresses', () => {
  it('derives a stable address in 52:54:00 from the node name', () => {
    expect(macForNode('web-1')).toBe(macForNode('web-1'));
    expect(macForNode('web-1')).not.toBe(macForNode('web-2'));
    expect(macForNode('web-1')).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
  });
  it('accepts unicast addresses, lower-cased, and refuses others naming the field', () => {
    expect(checkMacAddress('node.mac', '52:54:00:AA:bb:01')).toBe('52:54:00:aa:bb:01');
    expect(() => checkMacAddress('node.mac', '01:00:5e:00:00:01')).toThrow(InvalidInputError);
    expect(() => checkMacAddress('node.mac', '52:54:00:aa:bb')).toThrow(/node\.mac/);
    expect(() => checkMacAddress('node.mac', "52:54:00:aa:bb:01' x")).toThrow(InvalidInputError);
  });
});
