/**
 * `tessera …` run from the TypeScript source rather than `packages/server/dist`, so the
 * benchmark measures the code in the tree without a build step (and without writing `dist/`).
 *
 * ```sh
 * node --conditions=tessera-source --import tsx bench/schemes/tessera-from-source.ts serve --db sqlite:/tmp/t.db
 * ```
 */
import { main } from '../../packages/server/src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
