import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { addGrants, formatAccessGrants, grantedPorts, parseAccessGrants, removeGrants } from './access-grants.ts';
import { applyFirewallScript, grantsInForce, inspectFirewallScript, parseFirewallInspection } from './firewall-script.ts';
import { firewalldCommands } from './firewalld-commands.ts';
import { buildIptablesRestore } from './iptables-rules.ts';
import { parseNftGuestChains } from './nftables-guest-chains.ts';
import { buildNftRuleset, changedGuestChains } from './nftables-rules.ts';
import { ufwCommands } from './ufw-commands.ts';

const grants = addGrants([], '192.168.77.50', [3389, 22]);

describe('access grants', () => {
  it('adds sorted without duplicates, removes by address and port, round-trips through the file', () => {
    const more = addGrants(grants, '192.168.77.50', [22]);
    expect(more).toEqual([{ remoteIp: '192.168.77.50', port: 22 }, { remoteIp: '192.168.77.50', port: 3389 }]);
    expect(removeGrants(more, '192.168.77.50', [3389])).toEqual([{ remoteIp: '192.168.77.50', port: 22 }]);
    expect(parseAccessGrants(formatAccessGrants(more).split('\n'))).toEqual(more);
    expect(grantedPorts(addGrants(more, 'fd00::5', [80]))).toEqual([22, 80, 3389]);
  });

  it('drops lines of the guest file that are not <ip> <port>', () => {
    expect(parseAccessGrants(['1.2.3.4 22', 'evil; reboot 22', '1.2.3.4 99999', '1.2.3.4 22 x', ''])).toEqual([{ remoteIp: '1.2.3.4', port: 22 }]);
  });
});

describe('nftables rules', () => {
  it('replaces the provkit table atomically: management and grantees accepted, others dropped on granted ports', () => {
    expect(buildNftRuleset(addGrants(grants, 'fd00:77::5', [22]), ['10.213.77.1'])).toBe(
      [
        'table inet provkit',
        'delete table inet provkit',
        'table inet provkit {',
        '\tchain input {',
        '\t\ttype filter hook input priority -10; policy accept;',
        '\t\tct state established,related accept',
        '\t\tiifname "lo" accept',
        '\t\tip saddr 10.213.77.1 tcp dport { 22, 3389 } accept comment "provkit management"',
        '\t\tip saddr 192.168.77.50 tcp dport 22 accept comment "provkit grant"',
        '\t\tip saddr 192.168.77.50 tcp dport 3389 accept comment "provkit grant"',
        '\t\tip6 saddr fd00:77::5 tcp dport 22 accept comment "provkit grant"',
        '\t\ttcp dport { 22, 3389 } drop comment "provkit restrict"',
        '\t}',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('with no grants only deletes the table', () => {
    expect(buildNftRuleset([], ['10.213.77.1'])).toBe('table inet provkit\ndelete table inet provkit\n');
  });

  const guest = {
    chains: [
      { family: 'inet', table: 'filter', chain: 'input' },
      { family: 'ip', table: 'filter', chain: 'INPUT' },
      { family: 'ip6', table: 'six', chain: 'in' },
    ] as const,
    tagged: [{ family: 'inet', table: 'filter', chain: 'input', handle: 7 }] as const,
  };

  it("also inserts each grant into the guest's own input chains of its family, after deleting the rules it tagged there before", () => {
    const text = buildNftRuleset(addGrants([], '192.168.77.50', [22, 3389]), ['10.213.77.1'], { chains: [...guest.chains], tagged: [...guest.tagged] });
    const lines = text.split('\n');
    expect(lines.slice(0, 3)).toEqual(['table inet provkit', 'delete table inet provkit', 'delete rule inet filter input handle 7']);
    expect(lines.filter((line) => line.startsWith('insert rule'))).toEqual([
      'insert rule inet filter input ip saddr 192.168.77.50 tcp dport 3389 accept comment "provkit grant"',
      'insert rule inet filter input ip saddr 192.168.77.50 tcp dport 22 accept comment "provkit grant"',
      'insert rule ip filter INPUT ip saddr 192.168.77.50 tcp dport 3389 accept comment "provkit grant"',
      'insert rule ip filter INPUT ip saddr 192.168.77.50 tcp dport 22 accept comment "provkit grant"',
    ]);
    // Management keeps what the guest's own rules give it; only grantees are added there.
    expect(lines.filter((line) => line.startsWith('insert rule') && line.includes('10.213.77.1'))).toEqual([]);
    expect(changedGuestChains(addGrants([], '192.168.77.50', [22]), { chains: [...guest.chains], tagged: [...guest.tagged] }).map((chain) => chain.table)).toEqual(['filter', 'filter']);
  });

  it('revoking the last grant deletes the tagged rules and the table, and inserts nothing', () => {
    expect(buildNftRuleset([], ['10.213.77.1'], { chains: [...guest.chains], tagged: [...guest.tagged] })).toBe(
      'table inet provkit\ndelete table inet provkit\ndelete rule inet filter input handle 7\n',
    );
  });

  it('reads the guest chains the inspection printed, skipping its own table and other families, and keeps odd names out', () => {
    const chains = parseNftGuestChains(
      [
        'nft-chain inet provkit input',
        'nft-chain inet filter input',
        'nft-tagged inet filter input 12',
        'nft-chain bridge br input',
        'nft-chain ip "my chain" in',
        'nft-tagged ip filter INPUT x',
        'grant 1.2.3.4 22',
      ],
      'provkit',
    );
    expect(chains).toEqual({
      chains: [{ family: 'inet', table: 'filter', chain: 'input' }],
      tagged: [{ family: 'inet', table: 'filter', chain: 'input', handle: 12 }],
      unaddressable: ['ip "my chain" in', 'ip filter INPUT x'],
    });
  });
});

describe('iptables rules', () => {
  it('refills PROVKIT-INPUT per family and has nothing for a family without grants', () => {
    const text = buildIptablesRestore(grants, ['10.213.77.1', 'fd00::1'], 4)!;
    expect(text.split('\n')).toEqual([
      '*filter',
      ':PROVKIT-INPUT - [0:0]',
      '-F PROVKIT-INPUT',
      '-A PROVKIT-INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
      '-A PROVKIT-INPUT -i lo -j ACCEPT',
      '-A PROVKIT-INPUT -s 10.213.77.1/32 -p tcp --dport 22 -m comment --comment provkit-management -j ACCEPT',
      '-A PROVKIT-INPUT -s 10.213.77.1/32 -p tcp --dport 3389 -m comment --comment provkit-management -j ACCEPT',
      '-A PROVKIT-INPUT -s 192.168.77.50/32 -p tcp --dport 22 -m comment --comment provkit-grant -j ACCEPT',
      '-A PROVKIT-INPUT -s 192.168.77.50/32 -p tcp --dport 3389 -m comment --comment provkit-grant -j ACCEPT',
      '-A PROVKIT-INPUT -p tcp --dport 22 -m comment --comment provkit-restrict -j DROP',
      '-A PROVKIT-INPUT -p tcp --dport 3389 -m comment --comment provkit-restrict -j DROP',
      'COMMIT',
      '',
    ]);
    expect(buildIptablesRestore(grants, ['fd00::1'], 6)).toBeUndefined();
  });
});

describe('firewalld and ufw commands', () => {
  it('adds and removes rich rules in the running and the permanent configuration', () => {
    const commands = firewalldCommands([{ remoteIp: 'fd00::5', port: 22 }], [{ remoteIp: '192.168.77.50', port: 3389 }]);
    expect(commands).toEqual([
      ['firewall-cmd', '--quiet', '--add-rich-rule=rule family="ipv6" source address="fd00::5" port port="22" protocol="tcp" accept'],
      ['firewall-cmd', '--quiet', '--permanent', '--add-rich-rule=rule family="ipv6" source address="fd00::5" port port="22" protocol="tcp" accept'],
      ['firewall-cmd', '--quiet', '--remove-rich-rule=rule family="ipv4" source address="192.168.77.50" port port="3389" protocol="tcp" accept'],
      ['firewall-cmd', '--quiet', '--permanent', '--remove-rich-rule=rule family="ipv4" source address="192.168.77.50" port port="3389" protocol="tcp" accept'],
    ]);
  });

  it('allows and deletes ufw rules per grant', () => {
    expect(ufwCommands([{ remoteIp: '192.168.77.50', port: 22 }], [{ remoteIp: '192.168.77.51', port: 80 }])).toEqual([
      ['ufw', 'allow', 'proto', 'tcp', 'from', '192.168.77.50', 'to', 'any', 'port', '22', 'comment', 'provkit'],
      ['ufw', 'delete', 'allow', 'proto', 'tcp', 'from', '192.168.77.51', 'to', 'any', 'port', '80'],
    ]);
  });
});

describe('firewall scripts', () => {
  it('reads the inspection output', () => {
    expect(parseFirewallInspection('backend=nftables\nclient=10.213.77.1\nboot=b-2\ngrants-boot=b-1\ngrant 192.168.77.50 22\nnft-chain inet filter input\n')).toEqual({
      kind: 'nftables',
      managementAddress: '10.213.77.1',
      grants: [{ remoteIp: '192.168.77.50', port: 22 }],
      boot: 'b-2',
      grantsBoot: 'b-1',
      nft: { chains: [{ family: 'inet', table: 'filter', chain: 'input' }], tagged: [], unaddressable: [] },
    });
    expect(parseFirewallInspection('backend=pf\nclient=\n')).toMatchObject({ kind: 'none', managementAddress: undefined, grants: [], boot: undefined, grantsBoot: undefined });
  });

  it('counts nftables and iptables grants of an earlier boot as gone, firewalld and ufw ones as kept', () => {
    const stale = parseFirewallInspection('backend=nftables\nboot=b-2\ngrants-boot=b-1\ngrant 192.168.77.50 22\n');
    expect(grantsInForce(stale, 'nftables')).toEqual([]);
    expect(grantsInForce(stale, 'iptables')).toEqual([]);
    expect(grantsInForce(stale, 'firewalld')).toEqual([{ remoteIp: '192.168.77.50', port: 22 }]);
    expect(grantsInForce(stale, 'ufw')).toEqual([{ remoteIp: '192.168.77.50', port: 22 }]);
    expect(grantsInForce(parseFirewallInspection('boot=b-2\ngrants-boot=b-2\ngrant 192.168.77.50 22\n'), 'nftables')).toHaveLength(1);
    expect(grantsInForce(parseFirewallInspection('boot=b-2\ngrant 192.168.77.50 22\n'), 'nftables')).toHaveLength(1);
  });

  it('the inspection script is valid shell', () => {
    execFileSync('/bin/dash', ['-n', '-c', inspectFirewallScript().text]);
  });

  const expected = {
    nftables: ['nft -f -', 'nft -f -'],
    iptables: ['iptables-restore --noflush', 'iptables -X PROVKIT-INPUT'],
    firewalld: ['--add-rich-rule=', '--remove-rich-rule='],
    ufw: ['ufw allow', 'ufw delete allow'],
  } as const;
  it.each(Object.keys(expected) as (keyof typeof expected)[])('the %s apply script is valid shell for granting and for revoking', (kind) => {
    const nft = { chains: [{ family: 'inet' as const, table: 'filter', chain: 'input' }], tagged: [] };
    const grant = applyFirewallScript({ kind, before: [], after: grants, management: ['10.213.77.1'], nft }).text;
    const revoke = applyFirewallScript({ kind, before: grants, after: [], management: ['10.213.77.1'] }).text;
    for (const script of [grant, revoke]) execFileSync('/bin/dash', ['-n', '-c', script]);
    expect(grant).toContain(expected[kind][0]);
    expect(revoke).toContain(expected[kind][1]);
    expect(grant).toContain('/var/lib/provkit/access-grants');
    expect(grant).toContain(`printf '# boot %s\\n' "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"`);
    if (kind === 'nftables') expect(grant).toContain('insert rule inet filter input ip saddr 192.168.77.50 tcp dport 22 accept');
    expect(revoke).toContain('rm -f /var/lib/provkit/access-grants');
  });
});
