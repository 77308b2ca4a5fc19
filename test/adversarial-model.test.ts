import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { settingsFrom } from '../src/config';
import { loginThrottle, tenantSessions } from '../src/sessions/stub';
import { freshPassphrase, randomStamp, wrongPassword, type ChangeBody } from './support/builders';
import { dispatch } from './support/dispatch';
import { envWith, faultyDurableObjects } from './support/faults';
import { cheapenDerivations } from './support/pbkdf2-limit';
import { expectNoSecretLogged } from './support/secret-watch';
import { buildRequest, call, type Reply } from './support/request';
import { ROUTES } from './support/routes';
import {
  changePassword,
  createApiKey,
  loginReply,
  logoutReply,
  registerTenant,
  rememberLogin,
  stampReply,
  uniqueBusiness,
  type TestTenant,
} from './support/tenants';

/*
 * The adversarial model (docs/adversarial-model.md): an owner, thieves and another business act in
 * any order, alone or in concurrent bursts, through the worker's real entry; after every step the
 * contract's promises to the owner must hold. `npm test` runs a few sequences; `npm run
 * test:adversarial` runs ADVERSARIAL_RUNS of them, and ADVERSARIAL_SEED (with ADVERSARIAL_PATH)
 * replays one.
 */

const { maxFailedAttempts: MAX, failedAttemptWindowMs } = settingsFrom(env);
const RUNS = Number(env.ADVERSARIAL_RUNS || 4);
const SEED = env.ADVERSARIAL_SEED ? Number(env.ADVERSARIAL_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
const PATH = env.ADVERSARIAL_PATH || undefined;
// npm run test:adversarial derives at 1,000 iterations (ADVERSARIAL_ITERATIONS; empty: the real
// 100,000), so that 5,000 sequences fit in an hour on two cores; npm test runs at the real cost.
const ITERATIONS = Number(env.ADVERSARIAL_ITERATIONS || 0);
if (ITERATIONS > 0) cheapenDerivations(ITERATIONS);

const withDevice = (deviceToken: string) => ({ headers: { 'X-Device-Token': deviceToken } });

interface Session {
  token: string;
  /** How many changes had committed when it was opened. */
  era: number;
}

interface ThiefDevice {
  token: string;
  era: number;
  failuresThisWindow: number;
}

/** What the contract lets each actor expect, and what the actors hold. One object plays model and world. */
interface World {
  owner: TestTenant;
  ownerDevice: string;
  /** The owner's session that made the last change (or the latest, before any). */
  ownerSession: Session;
  /** Every session opened so far that no one has logged out, the thieves' included. */
  openSessions: Session[];
  /** The session that made the last change. */
  changer: string | null;
  changes: number;
  /** The password the thieves learned: the current one until the first change. */
  oldPassword: string;
  stolen: { token: string; wrongGuesses: number; revoked: boolean };
  thiefDevices: ThiefDevice[];
  /** Checked wrong guesses, this window, of device tokens issued before the last change, together. */
  preChangeFailures: number;
  /** Checked wrong guesses, this window, of clients without a device token. */
  untrustedFailures: number;
  other: { tenant: TestTenant; device: string; passwordHash: string; serverKey: string };
  /** A server key of the owner's business: its back end, acting on the owner. */
  adminKey: string;
}

type Command = fc.AsyncCommand<World, World>;

async function passwordHash(tenantId: string): Promise<string> {
  const row = await env.DB.prepare('SELECT password_hash FROM tenants WHERE id = ?').bind(tenantId).first<{ password_hash: string }>();
  return row!.password_hash;
}

async function stampOf(world: World, token: string): Promise<string | null> {
  const reply = await stampReply(world.owner, token);
  return reply.status === 200 ? reply.body.data : null;
}

async function openOwnerSession(world: World): Promise<void> {
  const reply = await loginReply(world.owner, withDevice(world.ownerDevice));
  expect(reply.status, `the owner's known device logs in with the right password: ${reply.text}`).toBe(200);
  const session = { token: rememberLogin(reply.body.data).token, era: world.changes };
  world.ownerSession = session;
  world.openSessions.push(session);
}

function expectBudgets(world: World): void {
  for (const device of world.thiefDevices) {
    expect(device.failuresThisWindow, 'checked guesses of one device in a window').toBeLessThanOrEqual(MAX);
  }
  expect(world.untrustedFailures, 'checked guesses of clients without a device token in a window').toBeLessThanOrEqual(MAX);
  expect(world.preChangeFailures, 'checked guesses of device tokens issued before the last change, together').toBeLessThanOrEqual(MAX);
  expect(world.stolen.wrongGuesses, "checked guesses of a session over its whole life").toBeLessThanOrEqual(MAX);
}

/** What a stolen session can send besides a right password, each refused. */
const JUNK = ['policy', 'stale', 'malformed', 'wrong', 'abandonedBody', 'abandonedFinish'] as const;
type Junk = (typeof JUNK)[number];

/** One junk request from the stolen session; resolves to its reply once it ends, and to `finish` for the body that never ends. */
function sendJunk(world: World, kind: Junk, stamp: string): { reply: Promise<Reply | null>; finish: () => void } {
  const { path, method } = ROUTES.change;
  const base = { method, apiKey: world.owner.apiKey, token: world.stolen.token };
  const body = (existingPassword: string, overrides = {}) => ({ existingPassword, newPassword: freshPassphrase(), concurrencyStamp: stamp, ...overrides });
  const call = (sent: ChangeBody, bindings?: Env) => changePassword(world.owner, world.stolen.token, sent, bindings ? { env: bindings } : {});
  switch (kind) {
    case 'policy':
      return { reply: call(body(world.oldPassword, { newPassword: 'a' })), finish: () => {} };
    case 'stale':
      return { reply: call(body(world.oldPassword, { concurrencyStamp: randomStamp() })), finish: () => {} };
    case 'malformed':
      return { reply: call({ existingPassword: 7, concurrencyStamp: stamp }), finish: () => {} };
    case 'wrong':
      return { reply: call(body(wrongPassword())), finish: () => {} };
    case 'abandonedFinish':
      // The request dies after the object admitted it: its report never reaches the object.
      return {
        reply: call(body(wrongPassword(), { newPassword: 'a' }), envWith({ TENANT_SESSIONS: faultyDurableObjects(['finishChange']) })),
        finish: () => {},
      };
    case 'abandonedBody': {
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
      controller.enqueue(new TextEncoder().encode(`{"existingPassword":"${wrongPassword()}","concurrencyStamp":"${stamp}",`));
      const request = buildRequest(path, { ...base, body: stream });
      const response = dispatch(request).then(
        (r) => r.body?.cancel(),
        () => {},
      );
      return { reply: response.then(() => null), finish: () => controller.error(new Error('client went away')) };
    }
  }
}

/** Counts what a stolen session's replies say was checked, and whether it was revoked. */
function countStolen(world: World, replies: (Reply | null)[]): void {
  for (const reply of replies) {
    if (!reply) continue;
    if (reply.body.status === 'MISMATCH_EXISTING_PASSWORD') world.stolen.wrongGuesses++;
    if (reply.status === 429) world.stolen.revoked = true;
  }
}

/**
 * After a change or a reset the thief's tokens count on one shared budget, which carries what each
 * of them failed on its own in this window: a guess after it is admitted only while the window's
 * guesses of all of them stay under MAX.
 */
function carryPreChangeFailures(world: World): void {
  const carried = world.thiefDevices.filter((device) => device.era === world.changes - 1).reduce((sum, device) => sum + device.failuresThisWindow, 0);
  world.preChangeFailures = Math.min(MAX, world.preChangeFailures + carried);
}

class OwnerChangesUnderFire implements Command {
  constructor(
    readonly junk: Junk,
    readonly burst: number,
    readonly delayMs: number,
  ) {}
  check = () => true;
  async run(world: World): Promise<void> {
    const stamp = await stampOf(world, world.ownerSession.token);
    expect(stamp, "the owner's session is valid").not.toBeNull();
    const thiefCanSend = !world.stolen.revoked && world.stolen.token !== world.changer;
    const sent = thiefCanSend ? Array.from({ length: this.burst }, () => sendJunk(world, this.junk, stamp!)) : [];
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const newPassword = freshPassphrase();
    const body = { existingPassword: world.owner.password, newPassword, concurrencyStamp: stamp };
    const reply = await changePassword(world.owner, world.ownerSession.token, body);
    for (const junk of sent) junk.finish();
    countStolen(world, await Promise.all(sent.map((junk) => junk.reply)));
    expect(reply.status, `the owner's correct change answers 200 on the first try: ${reply.text}`).toBe(200);

    world.owner.password = newPassword;
    world.changes++;
    world.changer = world.ownerSession.token;
    world.stolen.revoked = true;
    for (const session of world.openSessions.filter((s) => s.token !== world.changer)) {
      expect((await stampReply(world.owner, session.token)).status, 'no session opened before the change survives but its own').toBe(401);
    }
    world.openSessions = [world.ownerSession];
    carryPreChangeFailures(world);
    expectBudgets(world);
  }
  toString = () => `OwnerChangesUnderFire(${this.junk}, ${this.burst}, ${this.delayMs}ms)`;
}

class StolenSessionSends implements Command {
  constructor(
    readonly junk: Junk,
    readonly burst: number,
  ) {}
  check = (world: World) => world.stolen.token !== world.changer;
  async run(world: World): Promise<void> {
    const stamp = (await stampOf(world, world.stolen.token)) ?? randomStamp();
    const sent = Array.from({ length: this.burst }, () => sendJunk(world, this.junk, stamp));
    for (const junk of sent) junk.finish();
    const replies = await Promise.all(sent.map((junk) => junk.reply));
    if (world.stolen.revoked) {
      for (const reply of replies) if (reply) expect(reply.status, 'a revoked session stays revoked').toBe(401);
    }
    countStolen(world, replies);
    expectBudgets(world);
  }
  toString = () => `StolenSessionSends(${this.junk} x${this.burst})`;
}

/** Wrong existing passwords from the stolen session, one after another, each with the live stamp. */
class StolenSessionGuesses implements Command {
  constructor(readonly count: number) {}
  check = (world: World) => world.stolen.token !== world.changer;
  async run(world: World): Promise<void> {
    for (let i = 0; i < this.count; i++) {
      const { reply, finish } = sendJunk(world, 'wrong', (await stampOf(world, world.stolen.token)) ?? randomStamp());
      finish();
      const answer = await reply;
      if (world.stolen.revoked) expect(answer!.status, 'a revoked session stays revoked').toBe(401);
      countStolen(world, [answer]);
      expectBudgets(world);
    }
  }
  toString = () => `StolenSessionGuesses(${this.count})`;
}

/** The thief who knew the password before any change logs in with it `count` times, keeping each device token and session. */
class ThiefCollectsDevices implements Command {
  constructor(readonly count: number) {}
  check = (world: World) => world.changes === 0 && world.thiefDevices.length < 8;
  async run(world: World): Promise<void> {
    for (let i = 0; i < this.count; i++) {
      const reply = await loginReply(world.owner, { password: world.oldPassword });
      if (reply.status === 429) return;
      const { token, deviceToken } = rememberLogin(reply.body.data);
      // A right password forgets the failures of the counter it was checked on: here the clients without a token.
      world.untrustedFailures = 0;
      world.thiefDevices.push({ token: deviceToken, era: world.changes, failuresThisWindow: 0 });
      world.openSessions.push({ token, era: world.changes });
    }
  }
  toString = () => `ThiefCollectsDevices(${this.count})`;
}

/** Wrong guesses (the old password, once it is old) from the thief's device tokens, all at once. */
class ThiefGuessesWithDevices implements Command {
  constructor(readonly picks: number[]) {}
  check = (world: World) => world.thiefDevices.length > 0;
  async run(world: World): Promise<void> {
    const devices = this.picks.map((pick) => world.thiefDevices[pick % world.thiefDevices.length]);
    const guess = () => (world.changes > 0 ? world.oldPassword : wrongPassword());
    const replies = await Promise.all(devices.map((device) => loginReply(world.owner, { password: guess(), ...withDevice(device.token) })));
    replies.forEach((reply, i) => {
      expect(reply.status, reply.text).not.toBe(200);
      if (reply.body.status !== 'INVALID_CREDENTIALS') return;
      devices[i].failuresThisWindow++;
      if (devices[i].era < world.changes) world.preChangeFailures++;
    });
    expectBudgets(world);
  }
  toString = () => `ThiefGuessesWithDevices(${this.picks.join(',')})`;
}

/** Wrong passwords without a device token, for the owner's user name and for names nobody has. */
class SprayerGuesses implements Command {
  constructor(readonly count: number) {}
  check = () => true;
  async run(world: World): Promise<void> {
    const replies = await Promise.all(
      Array.from({ length: this.count }, (_, i) =>
        i % 3 === 2
          ? loginReply({ ...world.owner, userName: `nobody-${crypto.randomUUID()}@example.com` }, { password: wrongPassword() })
          : loginReply(world.owner, { password: wrongPassword() }),
      ),
    );
    replies.forEach((reply, i) => {
      expect(reply.status).not.toBe(200);
      if (i % 3 !== 2 && reply.body.status === 'INVALID_CREDENTIALS') world.untrustedFailures++;
    });
    expectBudgets(world);
  }
  toString = () => `SprayerGuesses(${this.count})`;
}

/** Another business's key: its own tenant of the same user name, and the owner's session under the wrong key. */
class OtherBusinessActs implements Command {
  constructor(readonly guesses: number) {}
  check = () => true;
  async run(world: World): Promise<void> {
    const { tenant } = world.other;
    const replies = await Promise.all(Array.from({ length: this.guesses }, () => loginReply(tenant, { password: wrongPassword() })));
    for (const reply of replies) expect(reply.status).not.toBe(200);
    expect((await stampReply(tenant, world.ownerSession.token)).status, "another business's key never opens the owner's session").toBe(401);
    const foreign = await changePassword(tenant, world.ownerSession.token, {
      existingPassword: world.owner.password,
      newPassword: freshPassphrase(),
      concurrencyStamp: randomStamp(),
    });
    expect(foreign.status).toBe(401);
    const own = await loginReply(tenant, withDevice(world.other.device));
    expect(own.status, `the other business's own device logs in: ${own.text}`).toBe(200);
    rememberLogin(own.body.data);
  }
  toString = () => `OtherBusinessActs(${this.guesses})`;
}

class OwnerLogsInWithDevice implements Command {
  check = () => true;
  async run(world: World): Promise<void> {
    await openOwnerSession(world);
  }
  toString = () => 'OwnerLogsInWithDevice';
}

class StolenSessionLogsOut implements Command {
  check = (world: World) => !world.stolen.revoked && world.stolen.token !== world.changer;
  async run(world: World): Promise<void> {
    expect((await logoutReply(world.owner, world.stolen.token)).status).toBe(200);
    world.stolen.revoked = true;
    world.openSessions = world.openSessions.filter((s) => s.token !== world.stolen.token);
  }
  toString = () => 'StolenSessionLogsOut';
}

/** A tenant administration call (API v1.3) with a server key, through the worker's entry. */
const admin = (key: string, method: string, path: string, body?: unknown) => call(`/v1/admin/tenants${path}`, { method, apiKey: key, body });

/** Every session the world holds is refused, and forgotten: what a sign-out, a reset or a disable leaves. */
async function expectEverySessionRefused(world: World, why: string): Promise<void> {
  for (const session of world.openSessions) expect((await stampReply(world.owner, session.token)).status, why).toBe(401);
  world.openSessions = [];
  world.changer = null;
  world.stolen.revoked = true;
}

/**
 * The owner's business acts through its server key: signs the owner out everywhere, resets the
 * password (the owner completes it from the known device), lifts every lockout, or disables and
 * enables the owner. Whatever it does, the owner's promises hold afterwards.
 */
class BusinessAdministers implements Command {
  constructor(readonly action: 'signOut' | 'reset' | 'unlock' | 'disable') {}
  check = () => true;
  async run(world: World): Promise<void> {
    const { id } = world.owner;
    switch (this.action) {
      case 'signOut': {
        expect((await admin(world.adminKey, 'POST', `/${id}/sign-out`)).status).toBe(200);
        await expectEverySessionRefused(world, 'a sign-out revokes every session');
        break;
      }
      case 'reset': {
        const issued = await admin(world.adminKey, 'POST', `/${id}/password-reset`);
        expect(issued.status, issued.text).toBe(201);
        const { resetToken } = issued.body.data as { resetToken: string };
        const body = { resetToken, newPassword: freshPassphrase() };
        const reset = await call('/v1/password-reset', { method: 'POST', apiKey: world.owner.apiKey, body, ...withDevice(world.ownerDevice) });
        expect(reset.status, `the owner completes the reset: ${reset.text}`).toBe(200);
        expect((await call('/v1/password-reset', { method: 'POST', apiKey: world.owner.apiKey, body })).status, 'a reset token is single use').toBe(409);
        world.owner.password = body.newPassword;
        world.changes++;
        await expectEverySessionRefused(world, 'a reset revokes every session');
        carryPreChangeFailures(world);
        break;
      }
      case 'unlock': {
        expect((await admin(world.adminKey, 'POST', `/${id}/unlock`)).status).toBe(200);
        // The business gave the user name its budgets back: the thieves may guess again, counted afresh.
        for (const device of world.thiefDevices) device.failuresThisWindow = 0;
        world.preChangeFailures = 0;
        world.untrustedFailures = 0;
        break;
      }
      case 'disable': {
        expect((await admin(world.adminKey, 'POST', `/${id}/disable`)).status).toBe(200);
        for (const session of world.openSessions) expect((await stampReply(world.owner, session.token)).status, 'a disabled tenant has no session').toBe(401);
        const refused = await loginReply(world.owner);
        expect(refused.status, 'a disabled tenant logs in as nobody').not.toBe(200);
        if (refused.body.status === 'INVALID_CREDENTIALS') world.untrustedFailures++;
        expect((await admin(world.adminKey, 'POST', `/${id}/enable`)).status).toBe(200);
        // Whether the sessions of before come back is the service's choice; the model follows what it sees.
        const alive = [];
        for (const session of world.openSessions) if ((await stampReply(world.owner, session.token)).status === 200) alive.push(session);
        world.openSessions = alive;
        if (!alive.some((session) => session.token === world.stolen.token)) world.stolen.revoked = true;
        if (!alive.some((session) => session.token === world.changer)) world.changer = null;
        break;
      }
    }
    await openOwnerSession(world);
    expectBudgets(world);
  }
  toString = () => `BusinessAdministers(${this.action})`;
}

/** Another business's server key, and the owner's own publishable key, on the owner's tenant: refused, nothing changes. */
class OtherBusinessAdministers implements Command {
  check = () => true;
  async run(world: World): Promise<void> {
    const { id, userName } = world.owner;
    const found = await admin(world.other.serverKey, 'GET', `?userName=${encodeURIComponent(userName)}`);
    expect((found.body.data as { id: string }).id, "a lookup finds only the business's own tenant").toBe(world.other.tenant.id);
    for (const [method, path] of [
      ['POST', `/${id}/sign-out`],
      ['POST', `/${id}/password-reset`],
      ['POST', `/${id}/unlock`],
      ['POST', `/${id}/disable`],
      ['DELETE', `/${id}`],
    ] as const) {
      const foreign = await admin(world.other.serverKey, method, path);
      expect(foreign.body.status, `another business's server key on ${method} ${path}`).toBe('NO_RECORDS_FOUND');
      const publishable = await admin(world.owner.apiKey, method, path);
      expect(publishable.body.status, `a publishable key on ${method} ${path}`).toBe('KEY_NOT_ALLOWED');
    }
    expect((await stampReply(world.owner, world.ownerSession.token)).status, "the owner's session outlives them").toBe(200);
  }
  toString = () => 'OtherBusinessAdministers';
}

/** Every failed-attempt window of the objects involved passes, as if FAILED_ATTEMPT_WINDOW_MINUTES went by. */
class WindowPasses implements Command {
  check = () => true;
  async run(world: World): Promise<void> {
    const shift = failedAttemptWindowMs + 1_000;
    const objects = [
      tenantSessions(env, world.owner.business, world.owner.id),
      loginThrottle(env, world.owner.business, world.owner.userName),
      loginThrottle(env, world.other.tenant.business, world.other.tenant.userName),
    ];
    for (const stub of objects) {
      await runInDurableObject(stub, (_instance, state) => {
        state.storage.sql.exec(
          'UPDATE attempts SET window_started_at = window_started_at - ?, locked_until = max(0, locked_until - ?)',
          shift,
          shift,
        );
      });
    }
    for (const device of world.thiefDevices) device.failuresThisWindow = 0;
    world.preChangeFailures = 0;
    world.untrustedFailures = 0;
  }
  toString = () => 'WindowPasses';
}

const commands = [
  fc.tuple(fc.constantFrom(...JUNK), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 15 })).map(([junk, burst, delay]) => new OwnerChangesUnderFire(junk, burst, delay)),
  // A quiet change too: what the thieves collected before it must count for no more after it.
  fc.constant(new OwnerChangesUnderFire('policy', 0, 0)),
  fc.tuple(fc.constantFrom(...JUNK), fc.integer({ min: 1, max: 8 })).map(([junk, burst]) => new StolenSessionSends(junk, burst)),
  // Wrong guesses are the ones a budget counts: a few at a time, so that windows pass in between.
  fc.integer({ min: 1, max: 4 }).map((count) => new StolenSessionGuesses(count)),
  fc.integer({ min: 1, max: 4 }).map((count) => new StolenSessionGuesses(count)),
  fc.integer({ min: 1, max: 4 }).map((count) => new ThiefCollectsDevices(count)),
  fc.integer({ min: 1, max: 4 }).map((count) => new ThiefCollectsDevices(count)),
  fc.array(fc.nat(), { minLength: 1, maxLength: 10 }).map((picks) => new ThiefGuessesWithDevices(picks)),
  fc.array(fc.nat(), { minLength: 1, maxLength: 10 }).map((picks) => new ThiefGuessesWithDevices(picks)),
  fc.integer({ min: 1, max: 8 }).map((count) => new SprayerGuesses(count)),
  fc.integer({ min: 0, max: 3 }).map((guesses) => new OtherBusinessActs(guesses)),
  fc.constant(new OwnerLogsInWithDevice()),
  fc.constant(new StolenSessionLogsOut()),
  fc.constant(new WindowPasses()),
  fc.constantFrom('signOut', 'reset', 'unlock', 'disable').map((action) => new BusinessAdministers(action)),
  fc.constant(new OtherBusinessAdministers()),
];

async function setUp(): Promise<{ model: World; real: World }> {
  const business = uniqueBusiness();
  const owner = await registerTenant({ business, apiKey: await createApiKey({ business }) });
  const first = await loginReply(owner);
  const { deviceToken: ownerDevice, token } = rememberLogin(first.body.data);
  // The owner's other client, whose session a thief has stolen.
  const stolen = rememberLogin((await loginReply(owner)).body.data).token;
  const otherBusiness = uniqueBusiness();
  const otherTenant = await registerTenant({ business: otherBusiness, apiKey: await createApiKey({ business: otherBusiness }), userName: owner.userName });
  const otherDevice = rememberLogin((await loginReply(otherTenant)).body.data).deviceToken;
  const [adminKey, otherServerKey] = await Promise.all([createApiKey({ business, kind: 'server' }), createApiKey({ business: otherBusiness, kind: 'server' })]);
  const ownerSession = { token, era: 0 };
  const world: World = {
    owner,
    ownerDevice,
    ownerSession,
    openSessions: [ownerSession, { token: stolen, era: 0 }],
    changer: null,
    changes: 0,
    oldPassword: owner.password,
    stolen: { token: stolen, wrongGuesses: 0, revoked: false },
    thiefDevices: [],
    preChangeFailures: 0,
    untrustedFailures: 0,
    other: { tenant: otherTenant, device: otherDevice, passwordHash: await passwordHash(otherTenant.id), serverKey: otherServerKey },
    adminKey,
  };
  return { model: world, real: world };
}

/** Nothing the owner's business did touched the other business's tenant. */
async function expectOtherBusinessUntouched(world: World): Promise<void> {
  expect(await passwordHash(world.other.tenant.id), "another business's tenant is unchanged").toBe(world.other.passwordHash);
  const reply = await loginReply(world.other.tenant, withDevice(world.other.device));
  expect(reply.status, reply.text).toBe(200);
  rememberLogin(reply.body.data);
}

let started = 0;
const startedAt = Date.now();

describe('the adversarial model', () => {
  it(
    // The title shows the seed: ADVERSARIAL_SEED=<seed> (and ADVERSARIAL_PATH from a failure's report) replays it.
    `should keep every promise to the owner whatever the thieves, a sprayer and another business do (${RUNS} runs, seed ${SEED}${ITERATIONS ? `, derivations at ${ITERATIONS} iterations` : ''})`,
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands: 16, size: 'medium' }), async (sequence) => {
          // A long run says how far it got, so a run cut short still reports what it covered.
          if (RUNS > 4 && ++started % Math.ceil(RUNS / 20) === 0) {
            console.log(`adversarial model: run ${started} of ${RUNS} (seed ${SEED}), ${Math.round((Date.now() - startedAt) / 1000)} s`);
          }
          const setup = await setUp();
          await fc.asyncModelRun(async () => setup, sequence);
          // The owner's known device, and a correct change from a valid session, still work at the end.
          await openOwnerSession(setup.model);
          await new OwnerChangesUnderFire('policy', 0, 0).run(setup.model);
          await expectOtherBusinessUntouched(setup.model);
          // Each run has its own tenants and keys: its log lines are checked for its secrets now.
          expectNoSecretLogged();
        }),
        { numRuns: RUNS, seed: SEED, path: PATH, endOnFailure: true, verbose: 1 },
      );
    },
    Math.max(60_000, RUNS * 30_000),
  );
});
