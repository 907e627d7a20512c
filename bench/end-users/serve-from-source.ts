/**
 * `tessera …` from the TypeScript source, through the package's `tessera-source` export
 * condition, so the benchmark measures the tree as it is without a build.
 *
 * ```sh
 * node --conditions=tessera-source --import tsx bench/end-users/serve-from-source.ts serve --db sqlite:/tmp/t.db
 * ```
 */
import { main } from '@tessera/server';

process.exitCode = await main(process.argv.slice(2));
