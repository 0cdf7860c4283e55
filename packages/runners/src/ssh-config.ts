import { z } from 'zod';
import { booleanSetting, configObject, creatableFileProblem, durationMs, envVarName, fileProblem, hostSetting, InvalidInputError, localPath, nonEmptyString, portSetting, readableFile, secretFromEnv } from '@provkit/core';
import type { HostKeyPolicy, SshTarget } from './ssh-options.ts';

/** SSH credentials without the host: what an OS module uses for every node it reaches. */
export type SshCredentials = Omit<SshTarget, 'host' | 'port'> & { port?: number };

/**
 * How long a factory's SSH connect (TCP, banner, key exchange, authentication) may take when
 * the configuration sets no `connectTimeoutMs`: a host that accepts and never answers costs
 * this, not minutes.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const fingerprint = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, { error: 'must be a SHA256:… fingerprint as ssh-keygen -l prints it' });

/**
 * The SSH settings of a configuration section (`username`, `port`, `privateKeyPath`,
 * `passwordEnv` / `passphraseEnv` naming environment variables, `agent`, `connectTimeoutMs`,
 * and one of `knownHostsPath` (plus `acceptNewHostKeys`), `hostKeyFingerprint` or the loudly
 * named `insecureAcceptAnyHostKey`). Spread it into a module's `configObject` and add
 * {@link refineSshCredentials} as a refinement.
 */
export const sshCredentialsShape = {
  username: nonEmptyString.optional(),
  port: portSetting.optional(),
  privateKeyPath: readableFile.optional(),
  passwordEnv: envVarName.optional(),
  passphraseEnv: envVarName.optional(),
  agent: nonEmptyString.optional(),
  knownHostsPath: localPath.optional(),
  acceptNewHostKeys: booleanSetting.optional(),
  hostKeyFingerprint: z.union([fingerprint, z.array(fingerprint).min(1)]).optional(),
  insecureAcceptAnyHostKey: booleanSetting.optional(),
  connectTimeoutMs: durationMs.optional(),
};

/** {@link sshCredentialsShape} plus the `host` to connect to. */
export const sshTargetShape = { host: hostSetting, ...sshCredentialsShape };

/** The parsed SSH settings. */
export type SshCredentialsSettings = z.output<z.ZodObject<typeof sshCredentialsShape>>;

/**
 * The rules across SSH settings: a way to authenticate, exactly one host-key policy (host
 * keys are verified by default; nothing turns that off silently), and the known_hosts file
 * present now (or, with accept-new, its folder), not found missing at first connect. A zod
 * `superRefine` callback: it adds issues to the schema's result rather than throwing.
 */
export function refineSshCredentials(settings: SshCredentialsSettings, context: z.RefinementCtx): void {
  if (settings.privateKeyPath === undefined && settings.passwordEnv === undefined && settings.agent === undefined) {
    context.addIssue({ code: 'custom', path: ['privateKeyPath'], message: 'is required (or passwordEnv, or agent)' });
  }
  if (settings.acceptNewHostKeys && settings.knownHostsPath === undefined) {
    context.addIssue({ code: 'custom', path: ['acceptNewHostKeys'], message: 'needs knownHostsPath (the file new keys are recorded in)' });
  }
  const chosen = [settings.knownHostsPath, settings.hostKeyFingerprint, settings.insecureAcceptAnyHostKey || undefined].filter((entry) => entry !== undefined).length;
  if (chosen > 1) context.addIssue({ code: 'custom', path: ['knownHostsPath'], message: 'give only one of knownHostsPath, hostKeyFingerprint or insecureAcceptAnyHostKey' });
  if (chosen === 0 && !settings.acceptNewHostKeys) {
    context.addIssue({ code: 'custom', path: ['knownHostsPath'], message: 'is required (or hostKeyFingerprint): host keys are always verified; insecureAcceptAnyHostKey: true turns that off, for throwaway labs only' });
  }
  if (settings.knownHostsPath !== undefined) {
    const problem = settings.acceptNewHostKeys ? creatableFileProblem(settings.knownHostsPath) : fileProblem(settings.knownHostsPath);
    if (problem) context.addIssue({ code: 'custom', path: ['knownHostsPath'], message: problem });
  }
}

/** The host-key policy parsed SSH settings ask for (already checked by {@link refineSshCredentials}). */
export function hostKeyPolicyFromConfig(settings: SshCredentialsSettings): HostKeyPolicy {
  if (settings.knownHostsPath !== undefined) {
    return settings.acceptNewHostKeys ? { kind: 'accept-new', path: settings.knownHostsPath } : { kind: 'known-hosts', path: settings.knownHostsPath };
  }
  if (settings.hostKeyFingerprint !== undefined) {
    return { kind: 'fingerprint', sha256: typeof settings.hostKeyFingerprint === 'string' ? [settings.hostKeyFingerprint] : settings.hostKeyFingerprint };
  }
  return { kind: 'insecure-accept-any' };
}

/** Where parsed SSH settings came from and what to fill in. */
export interface SshConfigContext {
  /** The section's path in the file (`provisioner.host`), naming an unset variable. */
  path: string;
  /** The user when the section names none (`root`, `Administrator`). */
  username?: string;
  remoteShell?: SshTarget['remoteShell'];
  /** Where `passwordEnv` / `passphraseEnv` are looked up (default `process.env`, own variables only). */
  env?: NodeJS.ProcessEnv;
}

/** SSH credentials from parsed settings; reads the secrets the `*Env` settings name. */
export function sshCredentialsFromConfig(settings: SshCredentialsSettings, context: SshConfigContext): SshCredentials {
  const env = context.env ?? process.env;
  const username = settings.username ?? context.username;
  if (username === undefined) throw new InvalidInputError(`${context.path}.username`, 'is required');
  const password = settings.passwordEnv === undefined ? undefined : secretFromEnv(`${context.path}.passwordEnv`, settings.passwordEnv, env);
  const passphrase = settings.passphraseEnv === undefined ? undefined : secretFromEnv(`${context.path}.passphraseEnv`, settings.passphraseEnv, env);
  return {
    username,
    hostKey: hostKeyPolicyFromConfig(settings),
    ...(settings.port !== undefined ? { port: settings.port } : {}),
    ...(settings.privateKeyPath !== undefined ? { privateKeyPath: settings.privateKeyPath } : {}),
    ...(password ? { password } : {}),
    ...(passphrase ? { passphrase } : {}),
    ...(settings.agent !== undefined ? { agent: settings.agent } : {}),
    ...(context.remoteShell ? { remoteShell: context.remoteShell } : {}),
  };
}

/** One SSH destination from parsed settings: {@link sshCredentialsFromConfig} plus `host`. */
export function sshTargetFromConfig(settings: SshCredentialsSettings & { host: string }, context: SshConfigContext): SshTarget {
  return { ...sshCredentialsFromConfig(settings, context), host: settings.host };
}
