import { describe, expect, it } from 'vitest';
import { escapeDnValue, escapeFilterValue, ldapFilter, rdn } from './ldap-escape.ts';

describe('RFC 4515 filter escaping', () => {
  it.each([
    ['plain', 'plain'],
    ['a*b', 'a\\2ab'],
    ['(x)', '\\28x\\29'],
    ['back\\slash', 'back\\5cslash'],
    ['nul\u0000', 'nul\\00'],
    ['*)(objectClass=*', '\\2a\\29\\28objectClass=\\2a'],
    ['ready for use', 'ready for use'],
    ['Zürich', 'Zürich'],
  ])('%j -> %j', (value, escaped) => {
    expect(escapeFilterValue(value)).toBe(escaped);
  });

  it('escapes only the interpolated values of a filter template', () => {
    const injected = '*)(|(objectClass=*';
    expect(ldapFilter`(&(objectClass=sstVirtualMachines)(sstDisplayName=${injected}))`).toBe('(&(objectClass=sstVirtualMachines)(sstDisplayName=\\2a\\29\\28|\\28objectClass=\\2a))');
  });
});

describe('RFC 4514 DN value escaping', () => {
  it.each([
    ['3f2a91c0-0000-4000-8000-000000000000', '3f2a91c0-0000-4000-8000-000000000000'],
    ['virtual machines', 'virtual machines'],
    ['a,b+c;d<e>f"g\\h=i', 'a\\,b\\+c\\;d\\<e\\>f\\"g\\\\h\\=i'],
    ['#hash', '\\#hash'],
    [' lead', '\\ lead'],
    ['trail ', 'trail\\ '],
    ['nul\u0000', 'nul\\00'],
  ])('%j -> %j', (value, escaped) => {
    expect(escapeDnValue(value)).toBe(escaped);
  });

  it('builds an RDN and refuses a bad attribute type', () => {
    expect(rdn('ou', 'virtual machines')).toBe('ou=virtual machines');
    expect(() => rdn('ou=x,', 'y')).toThrow(TypeError);
  });
});
