// npm run db:check: fails when src/db/schema.ts and migrations/ disagree, that is when
// `npm run db:generate` would write a new migration. drizzle-kit generates into a copy of migrations/,
// so the check never changes the tree.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import config from '../drizzle.config.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DRIZZLE_KIT = join(ROOT, 'node_modules/drizzle-kit/bin.cjs');

/** Every file under `dir`, by relative path, with its content. */
function contents(dir) {
  const files = readdirSync(dir, { recursive: true }).filter((path) => statSync(join(dir, path)).isFile());
  return new Map(files.map((path) => [path, readFileSync(join(dir, path), 'utf8')]));
}

const work = mkdtempSync(join(tmpdir(), 'db-check-'));
try {
  const committed = join(ROOT, config.out);
  const copy = join(work, config.out);
  cpSync(committed, copy, { recursive: true });
  // drizzle-kit resolves --out against the working directory, so it runs beside the copy; with
  // command-line options it also ignores drizzle.config.ts, whose settings are passed instead.
  const generated = spawnSync(
    process.execPath,
    [DRIZZLE_KIT, 'generate', '--dialect', config.dialect, '--schema', join(ROOT, config.schema), '--out', config.out],
    { cwd: work, encoding: 'utf8' },
  );
  if (generated.status !== 0) {
    console.error(generated.stdout, generated.stderr);
    console.error(`drizzle-kit generate failed (exit ${generated.status}).`);
    process.exit(1);
  }
  const before = contents(committed);
  const after = contents(copy);
  const changed = [...after.keys()].filter((path) => before.get(path) !== after.get(path));
  if (changed.length > 0) {
    console.error(`${config.schema} and ${config.out} disagree: drizzle-kit would write ${changed.join(', ')}.`);
    console.error('Run `npm run db:generate` and commit the new migration.');
    process.exit(1);
  }
  console.log(`${config.out} matches ${config.schema}.`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
