import { execFileSync } from 'node:child_process';
import { UnsupportedFunctionalityError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { accessGrantsOperation, revokeAllGrantsScript } from './access-grants-operation.ts';
import type { OperationContext } from './generalization-operation.ts';

const context: OperationContext = { keepRootAuthorizedKeys: true, reservationUsersFile: '/var/lib/provkit/reservation-users' };

/** What inspectFirewallScript prints on a guest with `backend` in charge and two grants of this boot. */
function inspection(backend: string, extra = ''): string {
  return `backend=${backend}\nclient=10.213.77.1\nboot=b-1\ngrants-boot=b-1\ngrant 192.168.77.50 22\ngrant fd00:77::5 3389\n${extra}`;
}

describe('the access-grants operation', () => {
  it('only looks first: its build script is the read-only firewall inspection', () => {
    const script = accessGrantsOperation.build(context).script.text;
    expect(script).toContain('echo backend=');
    expect(script).not.toMatch(/nft -f|firewall-cmd --quiet|ufw (allow|delete)|rm -f/);
    expect(accessGrantsOperation.defaultEnabled).toBe(true);
  });

  it.each([
    ['nftables', ['delete table inet provkit', 'delete rule inet filter input handle 7']],
    ['iptables', ['iptables -F PROVKIT-INPUT', 'ip6tables -D INPUT -j PROVKIT-INPUT']],
    ['firewalld', ['firewall-cmd --quiet --permanent \'--remove-rich-rule=rule family="ipv4" source address="192.168.77.50" port port="22"', 'firewall-cmd --quiet \'--remove-rich-rule=rule family="ipv6" source address="fd00:77::5"']],
    ['ufw', ['ufw delete allow proto tcp from 192.168.77.50 to any port 22', 'ufw delete allow proto tcp from fd00:77::5 to any port 3389']],
  ])('revokes every recorded grant with %s and removes the grants file, in valid shell', (backend, wanted) => {
    const script = revokeAllGrantsScript(inspection(backend, 'nft-chain inet filter input\nnft-tagged inet filter input 7\n'), context).script.text;
    for (const text of wanted) expect(script).toContain(text);
    expect(script).not.toMatch(/--add-rich-rule|ufw allow|iptables-restore/);
    expect(script).toContain('rm -f /var/lib/provkit/access-grants');
    expect(script).toContain('pk_say removed /var/lib/provkit/access-grants');
    execFileSync('/bin/dash', ['-n', '-c', script]);
  });

  it('drives the configured firewall, not the detected one', () => {
    expect(revokeAllGrantsScript(inspection('nftables'), { ...context, firewall: 'ufw' }).script.text).toContain('ufw delete allow');
  });

  it.each([
    ['no grants file', 'backend=nftables\nclient=10.213.77.1\nboot=b-1\n'],
    ['no firewall', inspection('none')],
    ['nftables grants of an earlier boot', 'backend=nftables\nboot=b-2\ngrants-boot=b-1\ngrant 192.168.77.50 22\n'],
  ])('with %s, only removes a leftover grants file', (_case, stdout) => {
    const script = revokeAllGrantsScript(stdout, context).script.text;
    expect(script.trimEnd().split('\n').at(-1)).toBe('pk_rm /var/lib/provkit/access-grants');
    expect(script).not.toMatch(/nft -f|iptables|firewall-cmd --quiet|ufw delete/);
  });

  it('still revokes permanent firewalld grants recorded in an earlier boot', () => {
    const script = revokeAllGrantsScript('backend=firewalld\nboot=b-2\ngrants-boot=b-1\ngrant 192.168.77.50 22\n', context).script.text;
    expect(script).toContain("firewall-cmd --quiet --permanent '--remove-rich-rule=rule family=\"ipv4\" source address=\"192.168.77.50\"");
  });

  it('refuses nftables chains it cannot address, as grantAccess does', () => {
    expect(() => revokeAllGrantsScript(inspection('nftables', 'nft-chain inet filter "in put"\n'), context)).toThrow(UnsupportedFunctionalityError);
  });
});
