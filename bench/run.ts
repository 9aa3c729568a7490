/**
 * `npm run bench`: runs every `bench/*.bench.ts` in its own process, one after another (two
 * cores: benchmarks in parallel would measure each other). Each prints its figures beside a
 * same-run baseline. `npm run bench -- deadlines` runs the ones whose name contains the word.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const benches = readdirSync(here)
  .filter((name) => name.endsWith('.bench.ts') && name.includes(filter))
  .sort();
let failed = 0;
for (const name of benches) {
  console.log(`\n== ${name}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, name)], { stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
}
if (benches.length === 0) console.log(`no benchmark matches "${filter}"`);
process.exitCode = failed > 0 ? 1 : 0;
