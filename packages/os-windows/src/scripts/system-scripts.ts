import { ps, type PsFragment } from '../powershell/quote.ts';
import { script } from './prelude.ts';

/** Renames the computer when its name differs (effective after a restart). Prints `renamed=true|false`. */
export function renameComputerScript(name: string): PsFragment {
  return script(
    ps`$name = ${name}\n`,
    "if ($env:COMPUTERNAME -ieq $name) { 'renamed=false' } else { Rename-Computer -NewName $name -Force -WarningAction SilentlyContinue; 'renamed=true' }\n",
  );
}
