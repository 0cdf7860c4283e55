import { fileURLToPath } from 'node:url';

/**
 * Absolute path of stoney cloud's OpenLDAP schema (`sst.schema`, by stepping stone GmbH)
 * shipped in this package: the exact schema `LdapInventory` writes its entries against. Load
 * it into the directory (e.g. `include` it in `slapd.conf` after core, cosine, inetorgperson
 * and nis). See `schema/README.md` in the package for its origin and licence.
 */
// `src/` and `dist/` sit at the same depth, so one relative URL serves the sources and the build.
export const sstSchemaPath: string = fileURLToPath(new URL('../schema/sst.schema', import.meta.url));
