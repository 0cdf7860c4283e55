import type { OperationReport, Secret } from '@provkit/core';
import type { CommandResult } from '@provkit/runners';
import type { PsFragment } from '../powershell/quote.ts';
import {
appxCheckScript,
deleteReservationUsersScript,
deleteTempFilesScript,
disableHibernationScript,
logOffUsersScript,
removeSshHostKeysScript,
resetAdministratorPasswordScript,
} from '../scripts/cleanup-scripts.ts';
import { outputValue, outputValues, parseAppxProblems } from '../script-output.ts';
import type { WindowsPreCaptureOperation } from '../windows-inputs.ts';

/** Runs one script on the node being generalized (stdin and secrets as in the module's runner). */
export type ScriptRun = (script: PsFragment, spec?: { stdin?: string | Secret }) => Promise<CommandResult>;

/** What the cleanup steps need besides the node. */
export interface CleanupContext {
administratorPassword: Secret | undefined;
warn: (message: string) => void;
}

/**
 * Warns about Store apps that make Sysprep fail and returns how many there are. The check is
 * advice: when the Appx cmdlets fail (they need a full user profile), it warns and returns
 * `undefined` instead of stopping the capture.
 */
export async function warnAboutStoreApps(run: (script: PsFragment) => Promise<CommandResult>, warn: (message: string) => void): Promise<number | undefined> {
let stdout: string;
try {
  stdout = (await run(appxCheckScript())).stdout;
} catch (error) {
  warn(`could not check Store apps before Sysprep: ${error instanceof Error ? error.message : String(error)}`);
  return undefined;
}
const problems = parseAppxProblems(stdout);
for (const problem of problems) {
  const why = problem.kind === 'user-only' ? 'is installed for a user but not provisioned for all users' : `was updated by a user (provisioned version ${problem.provisionedVersion})`;
  warn(`Store app ${problem.packageFullName} ${why}; Sysprep fails on such packages (remove it for all users first)`);
}
return problems.length;
}

/** Runs one of VCL's Windows pre-capture cleanup steps and reports what it changed. */
export async function runCleanupStep(name: WindowsPreCaptureOperation, run: ScriptRun, context: CleanupContext): Promise<OperationReport> {
  switch (name) {
    case 'logoff-users': {
      const count = Number(outputValue((await run(logOffUsersScript())).stdout, 'loggedoff') ?? 0);
      return { name, changed: count > 0, detail: `${count} session(s) logged off` };
    }
    case 'delete-reservation-users': {
      const deleted = outputValues((await run(deleteReservationUsersScript())).stdout, 'deleted');
      return { name, changed: deleted.length > 0, detail: deleted.length > 0 ? `deleted ${deleted.join(', ')}` : 'no reservation users' };
    }
    case 'reset-administrator-password': {
      // preCapture gets here without a password only under unattend.promptForAdministratorPassword.
      if (!context.administratorPassword) return { name, changed: false, detail: 'no administratorPassword configured (unattend.promptForAdministratorPassword); left unchanged, OOBE will ask for one' };
      const result = await run(resetAdministratorPasswordScript(), { stdin: context.administratorPassword });
      return { name, changed: true, detail: `password of ${outputValue(result.stdout, 'user') ?? 'Administrator'} reset to the configured one` };
    }
    case 'delete-temp-files': {
      const count = Number(outputValue((await run(deleteTempFilesScript())).stdout, 'removed') ?? 0);
      return { name, changed: count > 0, detail: `${count} temporary file(s), setup cache(s) and log(s) removed` };
    }
    case 'disable-hibernation': {
      const exit = outputValue((await run(disableHibernationScript())).stdout, 'exit');
      if (exit !== '0') {
        context.warn(`powercfg /hibernate off exited ${exit ?? 'without a status'}; hibernation may be unsupported here`);
        return { name, changed: false, detail: `powercfg exited ${exit ?? 'without a status'}` };
      }
      return { name, changed: true, detail: 'hibernation off' };
    }
    case 'remove-ssh-host-keys': {
      const count = Number(outputValue((await run(removeSshHostKeysScript())).stdout, 'removed') ?? 0);
      return { name, changed: count > 0, detail: `${count} OpenSSH host key file(s) removed; sshd makes new ones on first start` };
    }
  }
}
