import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The lab folder of the repository (scripts live in `services/`). */
export const labRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where running services keep their state (`<dir>/<service>/state.json`). */
export const labDir = process.env.PROVKIT_LAB_DIR ?? '/tmp/provkit-lab';

/** Where slow-to-build artefacts (guest image, Debian root, simulator binary) are cached. */
export const labCache =
  process.env.PROVKIT_LAB_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'provkit-lab');
