import { ps, type PsFragment } from '../powershell/quote.ts';
import { script } from './prelude.ts';

/** Group of every firewall rule this module makes. */
export const FIREWALL_GROUP = 'provkit';
/** Windows' own "Remote Desktop" rule group (an indirect string, the same in every language). */
export const REMOTE_DESKTOP_RULE_GROUP = '@FirewallAPI.dll,-28752';
const RDP_PORT = 3389;

/** The name of the rule that opens TCP `port` to `remoteIp`: `provkit-access-tcp<port>-<ip with separators as ->`. */
export function accessRuleName(remoteIp: string, port: number): string {
  return `provkit-access-tcp${port}-${remoteIp.replace(/[^0-9A-Za-z]/g, '-')}`;
}

/**
 * Opens each TCP port to `remoteIp` only, one named inbound rule per port (replaced if it
 * exists). For RDP it also enables Remote Desktop and disables Windows' built-in Remote Desktop
 * rules, which allow any address and would make the restriction void. Prints `rule=<name>` per rule.
 */
export function grantAccessScript(remoteIp: string, ports: readonly number[]): PsFragment {
  const parts: PsFragment[] = [];
  for (const port of ports) {
    const name = accessRuleName(remoteIp, port);
    parts.push(
      ps`Remove-NetFirewallRule -Name ${name} -ErrorAction SilentlyContinue\n`,
      ps`New-NetFirewallRule -Name ${name} -DisplayName ${`provkit access TCP ${port} from ${remoteIp}`} -Group ${FIREWALL_GROUP} -Direction Inbound -Action Allow -Protocol TCP -LocalPort ${port} -RemoteAddress ${remoteIp} -Profile Any | Out-Null\n`,
      ps`${`rule=${name}`}\n`,
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
