/**
 * `npm run check:consumer` (CI): what a stranger gets from the registry, checked before it
 * gets there. Packs every public package with `npm pack` (so the packed manifest is what
 * `prepack` makes of it), checks what each tarball holds, installs the tarballs into an empty
 * project in a temporary folder outside the repository, type-checks a small consumer and
 * every ```ts example of the packages' READMEs strictly (`strict`, `exactOptionalPropertyTypes`, `skipLibCheck: false`),
 * and runs the consumer as an ES module and as CommonJS (`require`) on the Node that runs
 * this script (the pinned Node 24 under npm). Expects built packages (`npm run build`).
 *
 * `PROVKIT_KEEP_CONSUMER=1` keeps the temporary folder; it is kept anyway on failure.
 */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  repository?: unknown;
  homepage?: string;
  bugs?: unknown;
  exports?: unknown;
  files?: string[];
  workspaces?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface Packed {
  name: string;
  folder: string;
  tarball: string;
  size: number;
  unpackedSize: number;
  files: string[];
  manifest: Manifest;
  unpacked: string;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const problems: string[] = [];
const started = Date.now();

function run(command: string, args: string[], options: ExecFileSyncOptions = {}): string {
  return execFileSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'], ...options }) as string;
}

function step(text: string): void {
  console.log(`\n== ${text} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/** Module specifiers of the static and dynamic imports (and re-exports) in built code. */
function importedSpecifiers(code: string): Set<string> {
  const statements = code.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm);
  return new Set([...statements].map((match) => match[1] ?? match[2] ?? match[3]!));
}

/** The package a bare specifier names; undefined for relative paths and Node built-ins. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

const rootManifest = readJson<Manifest>(join(root, 'package.json'));
const workspaces = (rootManifest.workspaces ?? []).flatMap((pattern) =>
  pattern.endsWith('/*') ? readdirSync(join(root, pattern.slice(0, -2))).map((name) => join(pattern.slice(0, -2), name)) : [pattern],
);
const manifests = workspaces.map((folder) => ({ folder, manifest: readJson<Manifest>(join(root, folder, 'package.json')) }));
const publicPackages = manifests.filter(({ manifest }) => !manifest.private);
const privateNames = new Set(manifests.filter(({ manifest }) => manifest.private).map(({ manifest }) => manifest.name));
const workspaceNames = new Set(manifests.map(({ manifest }) => manifest.name));

const work = mkdtempSync(join(tmpdir(), 'provkit-consumer-'));
if (!relative(root, work).startsWith('..')) throw new Error(`the temporary folder ${work} is inside the repository`);
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

step(`packing ${publicPackages.length} public packages into ${tarballs}`);
const packed: Packed[] = publicPackages.map(({ folder, manifest }) => {
  const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: join(root, folder) })) as { filename: string; size: number; unpackedSize: number }[];
  const tarball = join(tarballs, basename(info!.filename));
  const unpacked = join(work, 'unpacked', manifest.name.replace('/', '+'));
  mkdirSync(unpacked, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', unpacked]);
  const folderInside = join(unpacked, 'package');
  return {
    name: manifest.name,
    folder,
    tarball,
    size: info!.size,
    unpackedSize: info!.unpackedSize,
    files: filesUnder(folderInside),
    manifest: readJson<Manifest>(join(folderInside, 'package.json')),
    unpacked: folderInside,
  };
});

step('what the tarballs hold');
const licence = readFileSync(join(root, 'LICENSE'), 'utf8');
for (const pack of packed) {
  const where = `${pack.name}:`;
  const { manifest } = pack;
  // Data files a package exports by name (the CLI's config.schema.json) belong too.
  const exportedFiles = Object.values((manifest.exports ?? {}) as Record<string, unknown>)
    .filter((target): target is string => typeof target === 'string')
    .map((target) => target.replace(/^\.\//, ''));
  for (const file of pack.files) {
    const allowed = /^(dist\/|schema\/)/.test(file) || ['package.json', 'README.md', 'LICENSE', ...exportedFiles].includes(file);
    if (!allowed) problems.push(`${where} ships ${file} (only dist/, schema/, exported data files, README.md, LICENSE and package.json belong in a tarball)`);
    if (/\.test\.|fixtures?\/|golden\//.test(file)) problems.push(`${where} ships test material ${file}`);
  }
  for (const needed of ['README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) {
    if (!pack.files.includes(needed)) problems.push(`${where} has no ${needed}`);
  }
  if (pack.files.includes('LICENSE') && readFileSync(join(pack.unpacked, 'LICENSE'), 'utf8') !== licence) problems.push(`${where} LICENSE differs from the repository's`);
  if (JSON.stringify(manifest.exports).includes('provkit-source')) problems.push(`${where} the packed package.json keeps the development-only "provkit-source" condition`);
  for (const field of ['license', 'repository', 'homepage', 'bugs'] as const) {
    if (!manifest[field]) problems.push(`${where} package.json has no ${field}`);
  }
  for (const name of Object.keys(manifest.devDependencies ?? {})) {
    if (privateNames.has(name)) problems.push(`${where} devDependencies name the private ${name}`);
  }
  // The contract package stays small: the runners carry ssh2, lean provisioning yaml.
  for (const heavy of ['ssh2', 'yaml']) {
    if (pack.name === '@provkit/core' && manifest.dependencies?.[heavy]) problems.push(`${where} depends on ${heavy}; the contract package must not`);
  }
  if (pack.name !== '@provkit/core' && pack.name !== '@provkit/cli' && manifest.dependencies?.['@provkit/core']) {
    problems.push(`${where} depends on @provkit/core directly; a module takes it as a peer`);
  }
  // Every package the code or a declaration file imports must be installed with it.
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
  for (const file of pack.files.filter((name) => /\.(js|d\.ts)$/.test(name))) {
    for (const specifier of importedSpecifiers(readFileSync(join(pack.unpacked, file), 'utf8'))) {
      const name = packageOf(specifier);
      if (name !== undefined && !declared.has(name)) problems.push(`${where} ${file} imports '${specifier}', which is not a dependency`);
    }
  }
  // A dependency never imported is weight for nothing (the CLI's lazy imports count).
  const imported = new Set(
    pack.files
      .filter((name) => /\.(js|d\.ts)$/.test(name))
      .flatMap((name) => [...importedSpecifiers(readFileSync(join(pack.unpacked, name), 'utf8'))].map(packageOf)),
  );
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    if (!imported.has(name)) problems.push(`${where} depends on ${name} but never imports it`);
  }
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
console.log(`${'package'.padEnd(28)} ${'tarball'.padStart(10)} ${'unpacked'.padStart(11)} ${'files'.padStart(6)}`);
for (const pack of packed) {
  console.log(`${pack.name.padEnd(28)} ${kib(pack.size).padStart(10)} ${kib(pack.unpackedSize).padStart(11)} ${String(pack.files.length).padStart(6)}`);
}
const total = packed.reduce((sum, pack) => sum + pack.size, 0);
console.log(`${'total'.padEnd(28)} ${kib(total).padStart(10)} ${kib(packed.reduce((sum, pack) => sum + pack.unpackedSize, 0)).padStart(11)}`);

step('an empty project outside the repository installs the tarballs');
const consumer = join(work, 'consumer');
mkdirSync(join(consumer, 'src'), { recursive: true });
writeFileSync(join(consumer, 'package.json'), `${JSON.stringify({ name: 'provkit-consumer', version: '0.0.0', private: true }, null, 2)}\n`);
const version = (name: string): string => readJson<Manifest>(join(root, 'node_modules', name, 'package.json')).version;
// The compiler and Node's types at the repository's versions; vitest comes as conformance's peer.
// --prefer-offline: the tarballs are local and npm's cache usually holds their dependencies.
run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...packed.map((pack) => pack.tarball), `typescript@${version('typescript')}`, `@types/node@${version('@types/node')}`], { cwd: consumer, stdio: ['ignore', 'inherit', 'inherit'] });
for (const pack of packed) {
  const installed = readJson<Manifest>(join(consumer, 'node_modules', pack.name, 'package.json'));
  if (JSON.stringify(installed.exports).includes('provkit-source')) problems.push(`${pack.name}: installed with the "provkit-source" condition`);
}
const installedWorkspaces = readdirSync(join(consumer, 'node_modules', '@provkit'));
console.log(`installed: ${installedWorkspaces.map((name) => `@provkit/${name}`).join(', ')}`);
for (const name of installedWorkspaces) {
  if (!workspaceNames.has(`@provkit/${name}`) || privateNames.has(`@provkit/${name}`)) problems.push(`the consumer got @provkit/${name}, which is not a public package`);
}

step('non-JavaScript exports resolve by package name from import and require');
// attw checks only entry points with types (inventory-ldap's ./sst.schema is excluded there),
// so the data files a package exports are checked here: each must resolve, from the consumer
// folder, through `import.meta.resolve` and `require.resolve` to the installed file, and be
// the repository's file byte for byte.
for (const pack of packed) {
  for (const [subpath, target] of Object.entries((pack.manifest.exports ?? {}) as Record<string, unknown>)) {
    if (typeof target !== 'string' || subpath === './package.json') continue;
    const specifier = `${pack.name}${subpath.slice(1)}`;
    const installed = join(consumer, 'node_modules', pack.name, target);
    try {
      const viaImport = fileURLToPath(run(process.execPath, ['--input-type=module', '-e', `process.stdout.write(import.meta.resolve(${JSON.stringify(specifier)}))`], { cwd: consumer }));
      const viaRequire = run(process.execPath, ['-e', `process.stdout.write(require.resolve(${JSON.stringify(specifier)}))`], { cwd: consumer });
      for (const [how, resolved] of [
        ['import.meta.resolve', viaImport],
        ['require.resolve', viaRequire],
      ] as const) {
        if (resolved !== installed) problems.push(`${specifier}: ${how} gave ${resolved}, not ${installed}`);
      }
      if (!readFileSync(installed).equals(readFileSync(join(root, pack.folder, target)))) problems.push(`${specifier}: the installed file differs from the repository's`);
      else console.log(`${specifier} -> ${relative(consumer, installed)} (import and require)`);
    } catch (error) {
      problems.push(`${specifier} does not resolve: ${(error as { stderr?: string }).stderr ?? String(error)}`);
    }
  }
}

step('strict type-check (strict, exactOptionalPropertyTypes, skipLibCheck: false) of the consumer and the READMEs\' examples');
const consumerSource = readFileSync(join(root, 'scripts', 'consumer', 'consumer.ts'), 'utf8');
writeFileSync(join(consumer, 'src', 'esm.mts'), consumerSource);
writeFileSync(join(consumer, 'src', 'cjs.cts'), consumerSource);
let examples = 0;
for (const pack of packed) {
  const readme = readFileSync(join(pack.unpacked, 'README.md'), 'utf8');
  [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].forEach((match, index) => {
    writeFileSync(join(consumer, 'src', `readme-${basename(pack.folder)}-${index + 1}.mts`), `${match[1]}\nexport {};\n`);
    examples += 1;
  });
}
writeFileSync(
  join(consumer, 'tsconfig.json'),
  `${JSON.stringify(
    {
      compilerOptions: {
        strict: true,
        exactOptionalPropertyTypes: true,
        skipLibCheck: false,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2023',
        lib: ['es2023'],
        types: ['node'],
        rootDir: 'src',
        outDir: 'out',
      },
      include: ['src'],
    },
    null,
    2,
  )}\n`,
);
try {
  run(process.execPath, [join(consumer, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer]);
  console.log(`tsc: no errors in the consumer (ESM and CJS) and ${examples} README examples`);
} catch (error) {
  problems.push(`tsc refused the consumer:\n${(error as { stdout?: string }).stdout ?? String(error)}`);
}

step(`running the consumer on Node ${process.version}`);
const out = join(consumer, 'out');
if (statSync(join(out, 'cjs.cjs'), { throwIfNoEntry: false })) {
  const cjs = readFileSync(join(out, 'cjs.cjs'), 'utf8');
  const esm = readFileSync(join(out, 'esm.mjs'), 'utf8');
  if (!cjs.includes('require("@provkit/core")')) problems.push('the CommonJS build of the consumer does not require("@provkit/core")');
  if (!esm.includes("from '@provkit/core'")) problems.push("the ES module build of the consumer does not import from '@provkit/core'");
  for (const [label, file] of [
    ['esm (import)', 'esm.mjs'],
    ['cjs (require)', 'cjs.cjs'],
  ] as const) {
    try {
      process.stdout.write(run(process.execPath, [join(out, file), label], { cwd: consumer }));
    } catch (error) {
      problems.push(`${label} failed:\n${(error as { stderr?: string }).stderr ?? String(error)}`);
    }
  }
  try {
    const help = run(join(consumer, 'node_modules', '.bin', 'provkit'), ['--help'], { cwd: consumer });
    if (!/provkit/.test(help)) problems.push('`provkit --help` printed no usage');
    else console.log(`bin: \`provkit --help\` ok (${help.split('\n')[0]!.trim()})`);
  } catch (error) {
    problems.push(`the installed \`provkit\` command failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (problems.length > 0) {
  console.error(`\nconsumer check FAILED after ${seconds} s (kept ${work}):\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
if (process.env.PROVKIT_KEEP_CONSUMER) console.log(`\nkept ${work}`);
else rmSync(work, { recursive: true, force: true });
console.log(`\nconsumer check passed in ${seconds} s: ${packed.length} tarballs, ${kib(total)} in all`);
