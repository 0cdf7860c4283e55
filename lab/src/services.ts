/**
 * The lab's services from Node: each is a script `lab/services/<name>.sh` with the verbs
 * `packages`, `up`, `down` and `status`; `up` is idempotent and prints the service's state as
 * JSON (also kept in `<labDir>/<name>/state.json`). Concurrent callers are serialized by a
 * lock per service.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labDir, labRoot } from './paths.ts';

const run = promisify(execFile);

/**
 * stoney cloud's schema as `@provkit/inventory-ldap` publishes it (its `./sst.schema` export),
 * resolved by package name so the lab's slapd loads exactly the file the package ships.
 */
const sstSchemaPath = createRequire(import.meta.url).resolve('@provkit/inventory-ldap/sst.schema');

/** The names of the services the lab knows (one script each in `lab/services`). */
export function labServices(): string[] {
  return readdirSync(join(labRoot, 'services'))
    .filter((file) => file.endsWith('.sh'))
    .map((file) => file.slice(0, -3))
    .sort();
}

function script(name: string): string {
  if (!labServices().includes(name)) throw new Error(`unknown lab service "${name}" (known: ${labServices().join(', ')})`);
  return join(labRoot, 'services', `${name}.sh`);
}

async function verb(name: string, action: 'up' | 'down' | 'status' | 'packages'): Promise<string> {
  // flock serializes concurrent test files asking for the same service. `-o`: the script does
  // not inherit the lock's descriptor, so the daemons it starts (libvirtd, slapd, the
  // simulator) never hold the lock after the verb ends.
  const lock = join(labDir, `.${name}.lock`);
  const { stdout } = await run('flock', ['-o', '-w', '1800', lock, 'bash', script(name), action], {
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, PROVKIT_LAB_DIR: labDir, PROVKIT_SST_SCHEMA: sstSchemaPath },
  }).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`lab service ${name} ${action} failed: ${error.stderr?.trim().split('\n').slice(-15).join('\n') || error.message}`);
  });
  return stdout;
}

/**
 * Brings a service up (installing its Debian packages if needed) and returns its state.
 * Throws when the service cannot start: lab tests fail rather than skip.
 */
export async function ensureLabService<State = Record<string, unknown>>(name: string): Promise<State> {
  await run('mkdir', ['-p', labDir]);
  await verb(name, 'up');
  return readLabState<State>(name);
}

/** Reads the state of a service that is up, or throws naming the service. */
export function readLabState<State = Record<string, unknown>>(name: string): State {
  try {
    return JSON.parse(readFileSync(join(labDir, name, 'state.json'), 'utf8')) as State;
  } catch {
    throw new Error(`lab service ${name} is not up (no ${join(labDir, name, 'state.json')}); run \`npm run lab -- up ${name}\``);
  }
}

/** True when the service is up. */
export async function isLabServiceUp(name: string): Promise<boolean> {
  return verb(name, 'status').then(
    () => true,
    () => false,
  );
}

/** Stops a service; stopping one that is down succeeds. */
export async function stopLabService(name: string): Promise<void> {
  await verb(name, 'down');
}

/** The Debian packages a service needs. */
export async function labServicePackages(name: string): Promise<string[]> {
  return (await verb(name, 'packages')).split(/\s+/).filter(Boolean);
}

