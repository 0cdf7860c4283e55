import { ps, psRaw, type PsFragment } from '../powershell/quote.ts';
import { script } from './prelude.ts';

/** Group of every firewall rule this module makes. */
export const FIREWALL_GROUP = 'provkit';
/** Windows' own "Remote Desktop" rule group (an indirect string, the same in every language). */
export const REMOTE_DESKTOP_RULE_GROUP = '@FirewallAPI.dll,-28752';
const RDP_PORT = 3389;
const SSH_PORT = 22;
/** The inbound rule Windows' OpenSSH Server capability adds: TCP 22 from any address. */
export const OPENSSH_SERVER_RULE = 'OpenSSH-Server-In-TCP';
/** The rule that keeps SSH open to the management host once the built-in one is off. */
export const MANAGEMENT_SSH_RULE = 'provkit-mgmt-ssh';

/** The name of the rule that opens TCP `port` to `remoteIp`: `provkit-access-tcp<port>-<ip with separators as ->`. */
export function accessRuleName(remoteIp: string, port: number): string {
  return `provkit-access-tcp${port}-${remoteIp.replace(/[^0-9A-Za-z]/g, '-')}`;
}

/**
 * Opens each TCP port to `remoteIp` only, one named inbound rule per port (replaced if it
 * exists). For RDP it also enables Remote Desktop and disables Windows' built-in Remote Desktop
 * rules, which allow any address and would make the restriction void. For SSH likewise it
 * disables the OpenSSH Server's built-in any-address rule, after opening TCP 22 to the
 * management host (the client address of this very session, from `SSH_CONNECTION`), so
 * provkit keeps reaching the node; without that address it refuses, changing nothing for SSH.
 * Prints `rule=<name>` per rule and `management=<address>` when it restricted SSH.
 */
export function grantAccessScript(remoteIp: string, ports: readonly number[]): PsFragment {
  // New-NetFirewallRule's defaults (inbound, allow, every profile) are what is wanted; they
  // are left out because the whole script must fit one cmd.exe command line.
  const parts: PsFragment[] = [];
  for (const port of ports) {
    const name = accessRuleName(remoteIp, port);
    parts.push(
      ps`Remove-NetFirewallRule -Name ${name} -ErrorAction SilentlyContinue\n`,
      ps`New-NetFirewallRule -Name ${name} -DisplayName ${`provkit access TCP ${port} from ${remoteIp}`} -Group ${FIREWALL_GROUP} -Protocol TCP -LocalPort ${port} -RemoteAddress ${remoteIp} | Out-Null\n`,
      ps`${`rule=${name}`}\n`,
    );
  }
  if (ports.includes(SSH_PORT)) {
    // The management host is whoever runs this script: the client address of this session.
    parts.push(
      psRaw(`$m = "$env:SSH_CONNECTION".Split(' ')[0]\n`),
      psRaw(`if (-not $m) { throw 'SSH_CONNECTION unset: management address unknown' }\n`),
      ps`Remove-NetFirewallRule -Name ${MANAGEMENT_SSH_RULE} -ErrorAction SilentlyContinue\n`,
      ps`New-NetFirewallRule -Name ${MANAGEMENT_SSH_RULE} -DisplayName 'provkit management SSH' -Group ${FIREWALL_GROUP} -Protocol TCP -LocalPort 22 -RemoteAddress $m | Out-Null\n`,
      ps`Disable-NetFirewallRule -Name ${OPENSSH_SERVER_RULE} -ErrorAction SilentlyContinue\n`,
      psRaw('"management=$m"\n'),
    );
  }
  if (ports.includes(RDP_PORT)) {
    parts.push(
      ps`Set-ItemProperty -LiteralPath 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server' -Name fDenyTSConnections -Value 0\n`,
      ps`Get-NetFirewallRule -Group ${REMOTE_DESKTOP_RULE_GROUP} -ErrorAction SilentlyContinue | Disable-NetFirewallRule\n`,
    );
  }
  return script(...parts);
}

/** Removes the rules {@link grantAccessScript} made for `remoteIp` and `ports`. Prints `removed=<name>` per rule that existed. */
export function revokeAccessScript(remoteIp: string, ports: readonly number[]): PsFragment {
  return script(
    ps`foreach ($name in ${ports.map((port) => accessRuleName(remoteIp, port))}) {\n`,
    '  if (Get-NetFirewallRule -Name $name -ErrorAction SilentlyContinue) { Remove-NetFirewallRule -Name $name; "removed=$name" }\n',
    '}\n',
  );
}
