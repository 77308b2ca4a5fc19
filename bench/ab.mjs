// npm run bench:ab -- <git revision>: this checkout's worker against the revision's, side by side in
// one run. Both serve bench/worker.ts on loopback with their stores in memory; every round times one
// password change, one derivation and the empty round trip on each, alternating which goes first, so
// drift in the machine's load affects both alike. For a change too small to see across two runs of
// `npm run bench` (about ±3% on the shared machine). The revision is checked out into a temporary git
// worktree that uses this checkout's node_modules: compare revisions with the same dependencies.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { check, memoryFolder, request, startLocalServer, summarize } from '../scripts/lib/local-server.mjs';

const ROUNDS = Number(process.env.AB_ROUNDS ?? 60);
const WARM_UP_ROUNDS = 8;
const revision = process.argv[2];
check(revision, 'usage: npm run bench:ab -- <git revision>');

const git = (...args) => execFileSync('git', args, { encoding: 'utf8' }).trim();
const commit = git('rev-parse', '--verify', `${revision}^{commit}`);
const worktree = join(mkdtempSync(join(tmpdir(), 'storegister-ab-')), 'tree');
git('worktree', 'add', '--detach', worktree, commit);
symlinkSync(resolve('node_modules'), join(worktree, 'node_modules'));

const passphrase = () => `violet tractor ${randomBytes(6).toString('hex')}`;

/** A server, and a logged-in tenant on it whose history is full before anything is timed. */
async function contender(label, projectDir, port) {
  const server = await startLocalServer({ script: 'bench/worker.ts', port, storeIn: memoryFolder(), projectDir });
  const tenant = { userName: `ab-${Date.now()}@example.com`, password: passphrase() };
  const key = server.apiKey;
  await request(server.base, '/v1/register', { method: 'POST', key, body: { ...tenant, firstName: 'Ada', lastName: 'Lovelace' } });
  const login = await request(server.base, '/v1/login', { method: 'POST', key, body: tenant });
  check(login.status === 200, `${label}: login answered ${login.status}`);
  return { label, server, key, tenant, token: login.json.data.token, change: [], derivation: [], empty: [] };
}

async function round(side, timed) {
  const { base } = side.server;
  const stamp = (await request(base, '/v1/tenant/profile/change-password/request', { key: side.key, token: side.token })).json.data;
  const newPassword = passphrase();
  const body = { existingPassword: side.tenant.password, newPassword, concurrencyStamp: stamp };
  const change = await request(base, '/v1/tenant/profile/change-password', { method: 'PUT', key: side.key, token: side.token, body });
  check(change.status === 200, `${side.label}: change answered ${change.status} ${JSON.stringify(change.json)}`);
  side.tenant.password = newPassword;
  const derivation = await request(base, '/__bench/derive-one');
  const empty = await request(base, '/__bench/empty');
  if (!timed) return;
  side.change.push(change.ms);
  side.derivation.push(derivation.ms);
  side.empty.push(empty.ms);
}

const sides = [];
try {
  sides.push(await contender('this checkout', process.cwd(), 8801));
  sides.push(await contender(revision, worktree, 8802));
  for (let i = 0; i < WARM_UP_ROUNDS + ROUNDS; i++) {
    for (const side of i % 2 === 0 ? sides : [...sides].reverse()) await round(side, i >= WARM_UP_ROUNDS);
  }
  const figures = sides.map((side) => {
    const [change, derivation, empty] = [side.change, side.derivation, side.empty].map((samples) => summarize(samples).p50);
    const derivationMs = derivation - empty;
    return { build: side.label, change_p50: change, derivation_ms: derivationMs, empty_round_trip_ms: empty, change_over_two_derivations: change / (2 * derivationMs + empty) };
  });
  for (const f of figures) {
    console.log(`${f.build.padEnd(16)} change p50 ${f.change_p50.toFixed(1)} ms, derivation ${f.derivation_ms.toFixed(1)} ms, empty ${f.empty_round_trip_ms.toFixed(1)} ms, change_over_two_derivations ${f.change_over_two_derivations.toFixed(3)}`);
  }
  console.log(JSON.stringify({ rounds: ROUNDS, revision: commit, figures }));
} finally {
  for (const side of sides) side.server.stop();
  rmSync(join(worktree, '..'), { recursive: true, force: true });
  git('worktree', 'prune');
}
