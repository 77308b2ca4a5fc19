import { it } from '@fast-check/vitest';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { settingsFrom } from '../src/config';
import { requestTo } from './support/arbitraries';
import { expectHandled } from './support/envelope';
import {
  build,
  expectNoSecrets,
  FAILED_CHECK_CODES,
  guardBystander,
  makeFixture,
  mintSession,
  others,
  parsed,
  rowOf,
  snapshot,
  type Fixture,
  type Held,
  type SuccessContext,
} from './support/hostile';
import { send } from './support/request';
import { ROUTES, type Route } from './support/routes';
import { login, logoutReply, requestStamp } from './support/tenants';

/*
 * Property-based hostile input: every route receives generated requests (arbitrary bodies,
 * Content-Types and credentials, sometimes valid ones of a real logged-in tenant holding a current
 * stamp). Whatever arrives, the answer is never a 5xx, is always the envelope, and a request that does
 * not succeed leaves D1 as it was. Successes are allowed, but only for requests that were in fact
 * valid, and only with the state change their route promises.
 */

/** Retired hashes a tenant keeps: PASSWORD_HISTORY counts the current password too. */
const HISTORY_KEPT = settingsFrom(env).passwordHistory - 1;

async function historyNewestFirst(tenantId: string): Promise<string[]> {
  const rows = await env.DB.prepare('SELECT password_hash FROM password_history WHERE tenant_id = ? ORDER BY created_at DESC, id DESC')
    .bind(tenantId)
    .all<{ password_hash: string }>();
  return rows.results.map((row) => row.password_hash);
}

const GUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const TOKEN = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\.[0-9a-f]{32}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/;

interface Fuzzed {
  route: Route;
  /** Higher: more bodies pass validation, and more requests run PBKDF2. */
  validWeight: number;
  numRuns: number;
  /** Keeps the fixture in step with a success (new password, replaced session), before anything is checked. */
  refresh?: (context: SuccessContext) => Promise<void>;
  /** Checks a success was earned and did only what the route promises. */
  onSuccess: (context: SuccessContext) => Promise<void>;
}

const FUZZED: Fuzzed[] = [
  {
    route: ROUTES.register,
    validWeight: 6,
    numRuns: 600,
    async onSuccess({ reply, sent, before, after }) {
      expect(reply.status).toBe(201);
      expect(reply.body.data).toMatch(GUID);
      const body = parsed(sent.text);
      const created = rowOf(after, reply.body.data as string);
      expect(created.user_name).toBe(String(body.userName).trim().toLowerCase());
      expect(others(after, created.id)).toEqual(before.tenants);
      expect([after.passwordHistory, after.auditEvents]).toEqual([before.passwordHistory, before.auditEvents]);
    },
  },
  {
    route: ROUTES.login,
    validWeight: 6,
    numRuns: 600,
    async onSuccess({ reply, sent, fx, held, before, after }) {
      const body = parsed(sent.text);
      expect(String(body.userName).trim().toLowerCase()).toBe(fx.subject.userName);
      expect(body.password).toBe(held.password);
      const data = reply.body.data as { token: string; authContactBookInfo: { id: string } };
      expect(data.token).toMatch(TOKEN);
      expect(data.authContactBookInfo.id).toBe(fx.subject.id);
      expect(reply.headers.get('Cache-Control')).toContain('no-store');
      expect(after).toEqual(before);
    },
  },
  {
    route: ROUTES.logout,
    validWeight: 1,
    numRuns: 600,
    async refresh({ fx }) {
      fx.token = await mintSession(fx.subject);
    },
    async onSuccess({ reply, fx, held, before, after }) {
      expect(reply.body.data).toBeNull();
      expect(after).toEqual(before);
      expect((await logoutReply(fx.subject, held.token)).status).toBe(401);
    },
  },
  {
    route: ROUTES.stamp,
    validWeight: 1,
    numRuns: 700,
    async onSuccess({ reply, fx, before, after }) {
      expect(reply.body.data).toMatch(GUID);
      expect(reply.headers.get('Cache-Control')).toContain('no-store');
      const row = rowOf(after, fx.subject.id);
      expect(row.concurrency_stamp).toBe(reply.body.data);
      expect({ ...row, concurrency_stamp_issued_at: null, concurrency_stamp: null }).toEqual({
        ...rowOf(before, fx.subject.id),
        concurrency_stamp_issued_at: null,
        concurrency_stamp: null,
      });
      expect(others(after, fx.subject.id)).toEqual(others(before, fx.subject.id));
      expect([after.passwordHistory, after.auditEvents]).toEqual([before.passwordHistory, before.auditEvents]);
    },
  },
  {
    route: ROUTES.change,
    validWeight: 6,
    numRuns: 700,
    async refresh({ sent, fx }) {
      fx.subject.password = String(parsed(sent.text).newPassword);
    },
    async onSuccess({ reply, sent, fx, held, before, after }) {
      const body = parsed(sent.text);
      const previous = rowOf(before, fx.subject.id);
      expect(body.existingPassword).toBe(held.password);
      expect(String(body.concurrencyStamp).toUpperCase()).toBe(previous.concurrency_stamp);
      expect(reply.body.data).toBe(fx.subject.id);
      const row = rowOf(after, fx.subject.id);
      expect(row.password_hash).not.toBe(previous.password_hash);
      expect(row.concurrency_stamp).not.toBe(previous.concurrency_stamp);
      expect(others(after, fx.subject.id)).toEqual(others(before, fx.subject.id));
      expect(after.auditEvents).toBe(before.auditEvents + 1);
      // The replaced hash is the newest history row; the oldest goes once the history is full.
      const history = await historyNewestFirst(fx.subject.id);
      expect(history[0]).toBe(previous.password_hash);
      expect(history.length).toBeLessThanOrEqual(HISTORY_KEPT);
      const added = after.passwordHistory - before.passwordHistory;
      expect(added === 1 || (added === 0 && history.length === HISTORY_KEPT)).toBe(true);
    },
  },
];

const bystander = guardBystander();

describe.each(FUZZED.map((fuzzed) => ({ name: `${fuzzed.route.method} ${fuzzed.route.path}`, ...fuzzed })))(
  '$name under hostile input',
  ({ route, validWeight, numRuns, refresh, onSuccess }) => {
    let fx: Fixture;

    beforeAll(async () => {
      fx = await makeFixture(bystander());
    });

    afterAll(async () => {
      // The session and the credentials the fuzzing started with (or legitimately changed to) still work.
      await requestStamp(fx.subject, fx.token);
      if (route !== ROUTES.login) await login(fx.subject);
    });

    it.prop([requestTo(route, validWeight)], { numRuns })(
      'should answer every request with the envelope, never a 5xx, and change nothing unless it succeeds',
      async (spec) => {
        let before = await snapshot();
        if (rowOf(before, fx.subject.id).concurrency_stamp_issued_at === null) {
          // A committed change rotates the stamp to one nobody holds; give the subject a current one again.
          await requestStamp(fx.subject, fx.token);
          before = await snapshot();
        }
        const held: Held = { password: fx.subject.password, token: fx.token };
        const sent = build(spec, fx, before);

        const reply = await send(sent.request);
        const after = await snapshot();
        const context = { reply, sent, fx, held, before, after };
        if (reply.body?.succeeded === true) await refresh?.(context);

        expectHandled(reply);
        expectNoSecrets(reply, fx, held, before);
        if (!reply.body.succeeded) {
          const audited = FAILED_CHECK_CODES.includes(reply.body.status) ? 1 : 0;
          expect(after).toEqual({ ...before, failedChecks: before.failedChecks + audited });
          return;
        }
        expect(sent.request.headers.get('X-API-Key')).toBe(fx.subject.apiKey);
        if (route.session) expect(sent.request.headers.get('X-Token')).toBe(held.token);
        await onSuccess(context);
      },
      60_000,
    );
  },
);
