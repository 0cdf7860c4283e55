/**
 * `@provkit/os-linux`: the Linux OS module. Generalizes a guest before capture with named
 * operations (every operation of virt-sysprep's default set that applies to a running guest,
 * under virt-sysprep's names, and VCL's pre-capture steps) and reports what each removed,
 * emptied or changed; manages users,
 * passwords (over chpasswd's standard input) and the guest's firewall, and keeps VCL's
 * `currentimage.txt`. The shell scripts and rule builders it runs are exported too: they are
 * pure and can be inspected or reused.
 *
 * @packageDocumentation
 */
export { LinuxOsModule, type LinuxOperationReport, type LinuxPreCaptureResult } from './linux-os-module.ts';
export type { LinuxOsModuleOptions, LinuxOsModuleTimeouts } from './linux-os-module-options.ts';
export { createLinuxOsModule } from './create-linux-os-module.ts';
export { linuxOsModuleConfigSchema, type LinuxOsModuleConfig } from './linux-config-schema.ts';
export { PreCaptureFailedError } from './pre-capture-failed-error.ts';
export { SystemAccountError } from './users/system-account-error.ts';
export type { GeneralizationOperation, OperationContext, OperationScript } from './operations/generalization-operation.ts';
export { LINUX_OPERATIONS, LINUX_OPERATION_NAMES, selectOperations } from './operations/operation-catalog.ts';
export { VIRT_SYSPREP_NOT_APPLICABLE } from './operations/virt-sysprep-coverage.ts';
export { reportEntry, reportTotals } from './operations/generalization-report.ts';
export { revokeAllGrantsScript } from './operations/access-grants-operation.ts';
export { parseActions, summarizeActions, changedAnything, type GuestAction } from './script/actions.ts';
export { guestScript } from './script/guest-script.ts';
export { CURRENT_IMAGE_PATH } from './current-image/current-image-text.ts';
export { ACCESS_GRANTS_FILE, addGrants, removeGrants, parseAccessGrants, formatAccessGrants, type AccessGrant } from './firewall/access-grants.ts';
export { buildNftRuleset, changedGuestChains, NFT_GRANT_COMMENT, NFT_TABLE } from './firewall/nftables-rules.ts';
export { parseNftGuestChains, type NftChainRef, type NftFamily, type NftGuestChains, type NftTaggedRule } from './firewall/nftables-guest-chains.ts';
export { buildIptablesRestore, IPTABLES_CHAIN } from './firewall/iptables-rules.ts';
export { firewalldCommands, firewalldRichRule } from './firewall/firewalld-commands.ts';
export { ufwCommands } from './firewall/ufw-commands.ts';
export { FIREWALL_KINDS, applyFirewallScript, grantsInForce, inspectFirewallScript, parseFirewallInspection, type FirewallKind, type FirewallInspection, type FirewallChange } from './firewall/firewall-script.ts';
export { FIRST_BOOT_HOOK_PATH, FIRST_BOOT_LOG_PATH, HOST_KEYS_MARKER } from './first-boot/first-boot-hook.ts';
export { RESERVATION_USERS_FILE, sudoersDropInPath } from './users/user-functions.ts';
