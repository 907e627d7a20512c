// Runs every *.test.ts in the workspace on Node's own test runner, through tsx.
// Node 20's runner takes no globs, so the files are listed here.
// Arguments narrow the run to files whose path contains one of them.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const filters = process.argv.slice(2);
const files = readdirSync('packages', { recursive: true, encoding: 'utf8' })
  .filter((path) => path.endsWith('.test.ts') && !path.includes('node_modules') && !path.includes('dist/'))
  .map((path) => join('packages', path))
  .filter((path) => filters.length === 0 || filters.some((filter) => path.includes(filter)))
  .sort();

if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  ['--conditions=tessera-source', '--import', 'tsx', '--test', '--test-concurrency=2', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
