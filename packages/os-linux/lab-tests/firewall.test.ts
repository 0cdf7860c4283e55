/**
 * grantAccess / revokeAccess against the real Debian root's firewall tools, inside its own
 * network namespace: the rules are read back with `ip netns exec <ns> nft list ruleset` /
 * `iptables -S`, the management connection keeps working, and this machine's own ruleset is
 * never touched. 192.168.77.x addresses exist only as rule text; behind the guest's own drop
 * policy, connections really come over the veth pair from extra 10.213.77.x source addresses.
 * The last block runs the `access-grants` generalization operation (preCapture, end state on)
 * after real grants and reads the ruleset and the grants file back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshPool } from '@provkit/runners';
import type { DebianRootLabState } from '@provkit/lab';
import type { LinuxOsModule } from '@provkit/os-linux';
import { addRemoteAddresses, connectFrom, exists, inGuest, read, seed, startDebianRoot, type DebianRootFixture } from './test-support/debian-root-fixture.ts';
import { execFileSync } from 'node:child_process';

let lab: DebianRootFixture;
let hostRulesetBefore: string;
let bootId: string;

/** This machine's (the host namespace's) nftables ruleset, read with the root's own nft. */
function hostRuleset(): string {
  return execFileSync('chroot', [lab.state.rootPath, 'nft', 'list', 'ruleset']).toString();
}

beforeAll(async () => {
  lab = await startDebianRoot();
  hostRulesetBefore = hostRuleset();
  bootId = (await lab.runner.run(['cat', '/proc/sys/kernel/random/boot_id'])).stdout.trim();
});
afterAll(async () => lab?.close());

async function sshStillWorks(): Promise<string> {
  const pool = new SshPool();
  try {
    const runner = pool.runner({ host: lab.state.host, port: lab.state.port, username: 'root', privateKeyPath: lab.state.privateKeyPath, hostKey: { kind: 'known-hosts', path: lab.state.knownHostsPath } });
    return (await runner.run(['hostname'])).stdout.trim();
  } finally {
    await pool.close();
  }
}


/**
 * Gives the guest a firewall of its own, as a hardened image has: an `inet filter` input
 * chain with policy drop that lets SSH in from the management address only. Returns the
 * guest's ruleset with it loaded.
 */
async function loadGuestDropTable(s: DebianRootLabState): Promise<string> {
  seed(
    s,
    '/etc/provkit-lab-guest.nft',
    `table inet filter {
\tchain input {
\t\ttype filter hook input priority 0; policy drop;
\t\tct state established,related accept
\t\tiifname "lo" accept
\t\tip saddr ${s.hostAddress} tcp dport 22 accept
\t}
}
`,
  );
  await inGuest(s, ['nft', '-f', '/etc/provkit-lab-guest.nft']);
  return inGuest(s, ['nft', 'list', 'ruleset']);
}

describe('LinuxOsModule firewall on a real Debian root (nftables detected)', () => {
  let module: LinuxOsModule;
  beforeAll(() => {
    module = lab.module();
  });

  it('grants ports to one address in a table of its own, keeps the management address, and new SSH connections still work', async () => {
    const s = lab.state;
    expect(await inGuest(s, ['nft', 'list', 'ruleset'])).toBe('');
    await module.grantAccess({ node: lab.node, remoteIp: '192.168.77.50', ports: [22, 3389] });
    const ruleset = await inGuest(s, ['nft', 'list', 'ruleset']);
    expect(ruleset).toContain('table inet provkit');
    expect(ruleset).toContain(`ip saddr ${s.hostAddress} tcp dport { 22, 3389 } accept comment "provkit management"`);
    expect(ruleset).toContain('ip saddr 192.168.77.50 tcp dport 22 accept comment "provkit grant"');
    expect(ruleset).toContain('ip saddr 192.168.77.50 tcp dport 3389 accept comment "provkit grant"');
    expect(ruleset).toContain('tcp dport { 22, 3389 } drop comment "provkit restrict"');
    expect(read(s, '/var/lib/provkit/access-grants')).toBe(`# boot ${bootId}\n192.168.77.50 22\n192.168.77.50 3389\n`);
    expect(await sshStillWorks()).toBe('debian-root');
  });

  it('adds a second grantee (IPv6 too) and granting twice changes nothing', async () => {
    const s = lab.state;
    await module.grantAccess({ node: lab.node, remoteIp: 'fd00:77::5', ports: [22] });
    await module.grantAccess({ node: lab.node, remoteIp: 'fd00:77::5', ports: [22] });
    const ruleset = await inGuest(s, ['nft', 'list', 'ruleset']);
    expect(ruleset).toContain('ip6 saddr fd00:77::5 tcp dport 22 accept comment "provkit grant"');
    expect(ruleset.match(/fd00:77::5/g)).toHaveLength(1);
    expect(read(s, '/var/lib/provkit/access-grants')).toBe(`# boot ${bootId}\n192.168.77.50 22\n192.168.77.50 3389\nfd00:77::5 22\n`);
  });

  it('revokes one port, then everything, leaving no provkit table and no grants file', async () => {
    const s = lab.state;
    await module.revokeAccess({ node: lab.node, remoteIp: '192.168.77.50', ports: [3389] });
    let ruleset = await inGuest(s, ['nft', 'list', 'ruleset']);
    expect(ruleset).not.toContain('3389');
    expect(ruleset).toContain('ip saddr 192.168.77.50 tcp dport 22 accept');
    await module.revokeAccess({ node: lab.node, remoteIp: '192.168.77.50', ports: [22] });
    await module.revokeAccess({ node: lab.node, remoteIp: 'fd00:77::5', ports: [22] });
    ruleset = await inGuest(s, ['nft', 'list', 'ruleset']);
    expect(ruleset).toBe('');
    expect(exists(s, '/var/lib/provkit/access-grants')).toBe(false);
    await module.revokeAccess({ node: lab.node, remoteIp: '192.168.77.50', ports: [22] });
  });

  it("never touches this machine's own ruleset", () => {
    expect(hostRuleset()).toBe(hostRulesetBefore);
    expect(hostRuleset()).not.toContain('provkit');
  });
});

describe("LinuxOsModule firewall behind the guest's own nftables table with policy drop", () => {
  const grantee = '10.213.77.50';
  const stranger = '10.213.77.51';
  // A dropped SYN never answers: how long silence must last to count as "dropped".
  const silenceMs = 2000;
  let module: LinuxOsModule;
  let removeAddresses: (() => void) | undefined;
  let guestRuleset: string;

  beforeAll(async () => {
    const s = lab.state;
    module = lab.module();
    removeAddresses = addRemoteAddresses(s, [grantee, stranger]);
    guestRuleset = await loadGuestDropTable(s);
  });
  afterAll(async () => {
    removeAddresses?.();
    await inGuest(lab.state, ['nft', 'delete', 'table', 'inet', 'filter']);
  });

  it("starts from the guest's own ruleset: SSH from the management address only", async () => {
    expect(guestRuleset).toContain('policy drop;');
    expect(guestRuleset).not.toContain('provkit');
    expect(await sshStillWorks()).toBe('debian-root');
    expect(await connectFrom(lab.state, grantee, 22, silenceMs)).toBe('no answer');
  });

  it("a grant gets through the guest's drop chain for the grantee only, and management SSH keeps working", async () => {
    const s = lab.state;
    await module.grantAccess({ node: lab.node, remoteIp: grantee, ports: [22] });
    expect(await inGuest(s, ['nft', 'list', 'chain', 'inet', 'filter', 'input'])).toContain(`ip saddr ${grantee} tcp dport 22 accept comment "provkit grant"`);
    expect(await inGuest(s, ['nft', 'list', 'table', 'inet', 'provkit'])).toContain(`ip saddr ${grantee} tcp dport 22 accept comment "provkit grant"`);
    expect(await connectFrom(s, grantee, 22, 10_000)).toBe('answered');
    expect(await connectFrom(s, stranger, 22, silenceMs)).toBe('no answer');
    expect(await sshStillWorks()).toBe('debian-root');
  });

  it("revoke deletes exactly what the grant added: the guest's own ruleset is back, and the grantee is dropped again", async () => {
    const s = lab.state;
    await module.revokeAccess({ node: lab.node, remoteIp: grantee, ports: [22] });
    expect(await inGuest(s, ['nft', 'list', 'ruleset'])).toBe(guestRuleset);
    expect(exists(s, '/var/lib/provkit/access-grants')).toBe(false);
    expect(await connectFrom(s, grantee, 22, silenceMs)).toBe('no answer');
    expect(await sshStillWorks()).toBe('debian-root');
  });

  it('grants recorded in an earlier boot (the rules died with it) are not brought back by the next grant', async () => {
    const s = lab.state;
    seed(s, '/var/lib/provkit/access-grants', `# boot 00000000-0000-4000-8000-000000000000\n${stranger} 22\n`);
    await module.grantAccess({ node: lab.node, remoteIp: grantee, ports: [22] });
    expect(read(s, '/var/lib/provkit/access-grants')).toBe(`# boot ${bootId}\n${grantee} 22\n`);
    expect(await inGuest(s, ['nft', 'list', 'ruleset'])).not.toContain(stranger);
    expect(await connectFrom(s, stranger, 22, silenceMs)).toBe('no answer');
    expect(await connectFrom(s, grantee, 22, 10_000)).toBe('answered');
    await module.revokeAccess({ node: lab.node, remoteIp: grantee, ports: [22] });
    expect(await inGuest(s, ['nft', 'list', 'ruleset'])).toBe(guestRuleset);
  });
});

describe('LinuxOsModule firewall on a real Debian root (iptables chosen)', () => {
  let module: LinuxOsModule;
  beforeAll(() => {
    module = lab.module({ firewall: 'iptables', managementAddresses: ['10.213.0.9'] });
  });

  it('fills a PROVKIT-INPUT chain jumped to from INPUT, and SSH still works', async () => {
    const s = lab.state;
    await module.grantAccess({ node: lab.node, remoteIp: '192.168.77.60', ports: [22] });
    const rules = await inGuest(s, ['iptables', '-S']);
    expect(rules).toContain('-A INPUT -j PROVKIT-INPUT');
    expect(rules).toContain(`-A PROVKIT-INPUT -s ${s.hostAddress}/32 -p tcp -m tcp --dport 22 -m comment --comment provkit-management -j ACCEPT`);
    expect(rules).toContain('-A PROVKIT-INPUT -s 10.213.0.9/32 -p tcp -m tcp --dport 22 -m comment --comment provkit-management -j ACCEPT');
    expect(rules).toContain('-A PROVKIT-INPUT -s 192.168.77.60/32 -p tcp -m tcp --dport 22 -m comment --comment provkit-grant -j ACCEPT');
    expect(rules).toContain('-A PROVKIT-INPUT -p tcp -m tcp --dport 22 -m comment --comment provkit-restrict -j DROP');
    expect(await sshStillWorks()).toBe('debian-root');
  });

  it('re-granting refills the chain instead of duplicating rules, and the jump stays single', async () => {
    const s = lab.state;
    await module.grantAccess({ node: lab.node, remoteIp: '192.168.77.61', ports: [8080] });
    const rules = await inGuest(s, ['iptables', '-S']);
    expect(rules.match(/-A INPUT -j PROVKIT-INPUT/g)).toHaveLength(1);
    expect(rules.match(/192\.168\.77\.60\/32/g)).toHaveLength(1);
    expect(rules).toContain('-A PROVKIT-INPUT -s 192.168.77.61/32 -p tcp -m tcp --dport 8080 -m comment --comment provkit-grant -j ACCEPT');
  });

  it('revoking the last grants removes the chain and the jump', async () => {
    const s = lab.state;
    await module.revokeAccess({ node: lab.node, remoteIp: '192.168.77.60', ports: [22] });
    await module.revokeAccess({ node: lab.node, remoteIp: '192.168.77.61', ports: [8080] });
    const rules = await inGuest(s, ['iptables', '-S']);
    expect(rules).not.toContain('PROVKIT');
    expect(hostRuleset()).toBe(hostRulesetBefore);
  });
});

describe('the access-grants generalization operation on a real Debian root', () => {
  const grantee = '10.213.77.52';
  const silenceMs = 2000;
  let removeAddresses: (() => void) | undefined;
  let guestRuleset: string;

  beforeAll(async () => {
    const s = lab.state;
    removeAddresses = addRemoteAddresses(s, [grantee]);
    guestRuleset = await loadGuestDropTable(s);
  });
  afterAll(async () => {
    removeAddresses?.();
    await inGuest(lab.state, ['nft', 'delete', 'table', 'inet', 'filter']);
  });

  it("nftables: revokes provkit's table and its tagged rules in the guest's chain, removes the grants file, and management SSH still works; a second run is a no-op", async () => {
    const s = lab.state;
    const module = lab.module();
    await module.grantAccess({ node: lab.node, remoteIp: grantee, ports: [22, 8080] });
    expect(await inGuest(s, ['nft', 'list', 'ruleset'])).toContain(`ip saddr ${grantee} tcp dport 22 accept comment "provkit grant"`);
    expect(await connectFrom(s, grantee, 22, 10_000)).toBe('answered');
    expect(exists(s, '/var/lib/provkit/access-grants')).toBe(true);

    const result = await module.preCapture({ node: lab.node, endState: 'on', operations: ['access-grants'] });
    expect(result.endState).toBe('on');
    const [report] = result.operations;
    expect(report).toMatchObject({ name: 'access-grants', changed: true });
    // Every guest input chain got the grant (iptables-nft's ip filter INPUT too, left by the tests above).
    expect(report!.actions).toContainEqual({ verb: 'changed', object: 'nftables table inet provkit' });
    expect(report!.actions).toContainEqual({ verb: 'changed', object: 'nftables chain inet filter input' });
    expect(report!.actions.at(-1)).toEqual({ verb: 'removed', object: '/var/lib/provkit/access-grants' });
    const ruleset = await inGuest(s, ['nft', 'list', 'ruleset']);
    expect(ruleset).toBe(guestRuleset);
    expect(ruleset).not.toContain('provkit');
    expect(exists(s, '/var/lib/provkit/access-grants')).toBe(false);
    expect(await connectFrom(s, grantee, 22, silenceMs)).toBe('no answer');
    expect(await sshStillWorks()).toBe('debian-root');
    expect(await connectFrom(s, s.hostAddress, 22, 10_000)).toBe('answered');

    const again = await module.preCapture({ node: lab.node, endState: 'on', operations: ['access-grants'] });
    expect(again.operations).toEqual([{ name: 'access-grants', changed: false, detail: 'nothing to do', actions: [] }]);
    expect(await inGuest(s, ['nft', 'list', 'ruleset'])).toBe(guestRuleset);
  });

  it('iptables: removes the PROVKIT-INPUT chain and its jump and the grants file; a second run is a no-op', async () => {
    const s = lab.state;
    const module = lab.module({ firewall: 'iptables' });
    await module.grantAccess({ node: lab.node, remoteIp: '192.168.77.70', ports: [22] });
    expect(await inGuest(s, ['iptables', '-S'])).toContain('-A INPUT -j PROVKIT-INPUT');

    const result = await module.preCapture({ node: lab.node, endState: 'on', operations: ['access-grants'] });
    expect(result.operations[0]).toMatchObject({ name: 'access-grants', changed: true });
    expect(result.operations[0]!.actions).toContainEqual({ verb: 'removed', object: 'iptables chain PROVKIT-INPUT' });
    expect(result.operations[0]!.actions).toContainEqual({ verb: 'removed', object: '/var/lib/provkit/access-grants' });
    expect(await inGuest(s, ['iptables', '-S'])).not.toContain('PROVKIT');
    expect(exists(s, '/var/lib/provkit/access-grants')).toBe(false);
    expect(await sshStillWorks()).toBe('debian-root');

    const again = await module.preCapture({ node: lab.node, endState: 'on', operations: ['access-grants'] });
    expect(again.operations[0]).toMatchObject({ name: 'access-grants', changed: false, detail: 'nothing to do' });
  });

  it('removes a grants file left from an earlier boot (its kernel rules are gone) without touching the ruleset', async () => {
    const s = lab.state;
    seed(s, '/var/lib/provkit/access-grants', `# boot 00000000-0000-4000-8000-000000000000\n${grantee} 22\n`);
    const result = await lab.module().preCapture({ node: lab.node, endState: 'on', operations: ['access-grants'] });
    expect(result.operations[0]!.actions).toEqual([{ verb: 'removed', object: '/var/lib/provkit/access-grants' }]);
    expect(exists(s, '/var/lib/provkit/access-grants')).toBe(false);
    expect(await inGuest(s, ['nft', 'list', 'ruleset'])).toBe(guestRuleset);
  });
});
