/**
 * `npm run bench [filter]`: runs every `packages/<pkg>/bench/*.bench.ts` one after another
 * (benchmarks share a 2-core machine; running them together would measure each other).
 * Each prints its own table of figures beside its baseline, with ratios.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const filter = process.argv[2];
const files = readdirSync(join(root, 'packages'))
  .flatMap((pkg) => {
    const dir = join(root, 'packages', pkg, 'bench');
    return existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.bench.ts')).map((file) => join('packages', pkg, 'bench', file)) : [];
  })
  .filter((file) => !filter || file.includes(filter))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark matches ${filter ?? '(all)'}`);
  process.exit(1);
}
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const result = spawnSync(process.execPath, ['--conditions=provkit-source', file], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
