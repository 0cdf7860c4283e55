/**
 * The package.json a package is published with: without the development-only
 * `provkit-source` export condition, which points at `src/` (not in the tarball) and exists
 * only so the repository's tests, type-check and scripts run on sources without a build, and
 * without `devDependencies`: a consumer never installs them, and they name the repository's
 * private workspaces (`@provkit/lab`), which are not published.
 *
 * Run from a package folder by its npm lifecycle scripts:
 * - `prepack`: `strip` keeps the manifest as written in `package.json.dev` and writes the
 *   published one in its place;
 * - `postpack`: `restore --after pack` puts it back, except during `npm publish`, which reads
 *   the manifest again after packing to send it to the registry: there `postpublish`
 *   (`restore`) puts it back once publishing is over.
 *
 * If a pack or publish dies in between, `node ../../scripts/publish-manifest.ts restore` in
 * the package folder (or any later successful pack) brings the written manifest back.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const manifestFile = 'package.json';
const keptFile = 'package.json.dev';
const devCondition = 'provkit-source';

type Exports = string | null | Exports[] | { [key: string]: Exports };

/** `exports` without the development condition, at any depth. */
function withoutDevCondition(value: Exports): Exports {
  if (Array.isArray(value)) return value.map(withoutDevCondition);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== devCondition).map(([key, inner]) => [key, withoutDevCondition(inner)]));
}

function strip(): void {
  // Already stripped (a pack that died before postpack): the kept file is the written one.
  if (existsSync(keptFile)) return;
  const text = readFileSync(manifestFile, 'utf8');
  const manifest = JSON.parse(text) as { exports?: Exports; devDependencies?: unknown };
  writeFileSync(keptFile, text);
  if (manifest.exports !== undefined) manifest.exports = withoutDevCondition(manifest.exports);
  delete manifest.devDependencies;
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
}

function restore(): void {
  if (existsSync(keptFile)) renameSync(keptFile, manifestFile);
}

const [action, ...rest] = process.argv.slice(2);
if (action === 'strip') strip();
else if (action === 'restore') {
  const afterPack = rest.join(' ') === '--after pack';
  // During `npm publish` the registry gets the manifest npm reads after packing: keep the
  // published one in place until postpublish.
  if (!(afterPack && process.env.npm_command === 'publish')) restore();
} else {
  console.error('usage: publish-manifest.ts strip | restore [--after pack]');
  process.exit(2);
}
