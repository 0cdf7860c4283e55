/** The `key=value` lines a script printed, in order (other lines ignored). */
export function outputPairs(stdout: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^([a-z][a-z-]*)=(.*)$/.exec(line.trim());
    if (match) pairs.push([match[1]!, match[2]!]);
  }
  return pairs;
}

/** The first value printed for `key`, if any. */
export function outputValue(stdout: string, key: string): string | undefined {
  return outputPairs(stdout).find(([name]) => name === key)?.[1];
}

/** Every value printed for `key`. */
export function outputValues(stdout: string, key: string): string[] {
  return outputPairs(stdout)
    .filter(([name]) => name === key)
    .map(([, value]) => value);
}

/** One Store app that would make Sysprep fail. */
export interface AppxProblem {
  kind: 'user-only' | 'updated';
  packageFullName: string;
  /** For `updated`: the version provisioned for new users. */
  provisionedVersion?: string;
}

/** Parses the tab-separated lines of `appxCheckScript`. */
export function parseAppxProblems(stdout: string): AppxProblem[] {
  const problems: AppxProblem[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const [kind, packageFullName, provisionedVersion] = line.trim().split('\t');
    if ((kind === 'user-only' || kind === 'updated') && packageFullName) {
      problems.push(provisionedVersion ? { kind, packageFullName, provisionedVersion } : { kind, packageFullName });
    }
  }
  return problems;
}

/** What `imageStateScript` printed. */
export interface ImageStateReport {
  state: string;
  sysprepRunning: boolean;
  /** Tail of Sysprep's setuperr.log, when sysprep is not running. */
  errors: string[];
}

/** Parses the output of `imageStateScript`. */
export function parseImageState(stdout: string): ImageStateReport {
  const lines = stdout.split(/\r?\n/);
  return {
    state: outputValue(stdout, 'state') ?? '',
    sysprepRunning: outputValue(stdout, 'sysprep') === 'running',
    errors: lines.filter((line) => line.startsWith('setuperr:')).map((line) => line.slice('setuperr:'.length).trim()).filter((line) => line.length > 0),
  };
}
