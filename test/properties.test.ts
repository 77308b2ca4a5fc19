import { fc, it } from '@fast-check/vitest';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import worker from '../src/index';
import { issueToken } from '../src/auth/session-token';
import { settingsFrom } from '../src/config';
import { ERRORS } from '../src/errors';
import { tenantSessions } from '../src/sessions/stub';
import { call, createApiKey, expectSuccess, login, registerTenant, requestStamp, type TestTenant } from './helpers';

/*
 * Property-based hostile input: every route, and paths and methods that are no route, receive
 * generated requests (arbitrary bodies, Content-Types and credentials, sometimes valid ones of a real
 * logged-in tenant holding a current stamp). Whatever arrives, the answer is never a 5xx, is always
 * the envelope, and a request that does not succeed leaves D1 as it was. Successes are allowed, but
 * only for requests that were in fact valid, and only with the state change their route promises.
 */

const GUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const TOKEN = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\.[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/;
/** Failed password checks are audited by design: the one change a failure may leave in D1. */
const FAILED_CHECK_OUTCOMES = ['invalid_credentials', 'mismatch_existing_password'];
const FAILED_CHECK_CODES = ['INVALID_CREDENTIALS', 'MISMATCH_EXISTING_PASSWORD'];
/** The methods workerd's Request accepts; any other string throws before reaching the worker. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'PURGE', 'SEARCH', 'QUERY'];

interface Fixture {
  subject: TestTenant;
  /** A live session of the subject; replaced if a generated logout revokes it. */
  token: string;
  loggedOutToken: string;
  revokedApiKey: string;
  /** A stamp of the subject superseded by a later one. */
  staleStamp: string;
}

/** A tenant nobody fuzzes: at the end of the file its row is untouched and its original password works. */
let anchor: TestTenant;
let anchorRow: TenantRow;

/** A session put straight into the tenant's Durable Object, as a login would, without paying for PBKDF2. */
async function mintSession(tenant: TestTenant): Promise<string> {
  const issued = await issueToken(tenant.id);
  await tenantSessions(env, tenant.id).createSession({
    sessionId: issued.sessionId,
    secretHash: issued.secretHash,
    expiresAt: Date.now() + settingsFrom(env).sessionTtlMs,
  });
  return issued.token;
}

async function makeFixture(): Promise<Fixture> {
  const subject = await registerTenant();
  const token = await login(subject);
  const loggedOutToken = await mintSession(subject);
  expectSuccess(await call('/v1/logout', { method: 'POST', apiKey: subject.apiKey, token: loggedOutToken }));
  const staleStamp = await requestStamp(subject, token);
  await requestStamp(subject, token);
  return { subject, token, loggedOutToken, revokedApiKey: await createApiKey({ revoked: true }), staleStamp };
}

type LiveName =
  | 'apiKey'
  | 'revokedApiKey'
  | 'token'
  | 'loggedOutToken'
  | 'foreignToken'
  | 'userName'
  | 'password'
  | 'stamp'
  | 'staleStamp'
  | 'tenantId';
type Variant = 'exact' | 'padded' | 'upper' | 'lower' | 'truncated' | 'extended' | 'doubled';

/** A fixture value (a key, a token, the current password or stamp) that exists only when the run starts. */
class Live {
  constructor(
    readonly name: LiveName,
    readonly variant: Variant,
  ) {}

  [fc.toStringMethod](): string {
    return `Live(${this.name}, ${this.variant})`;
  }
}

function resolveLive(live: Live, fx: Fixture, state: Snapshot): string {
  const subjectRow = state.tenants.find((row) => row.id === fx.subject.id);
  const values: Record<LiveName, string> = {
    apiKey: fx.subject.apiKey,
    revokedApiKey: fx.revokedApiKey,
    token: fx.token,
    loggedOutToken: fx.loggedOutToken,
    // The subject's session id and secret, sent to another tenant's Durable Object.
    foreignToken: fx.token.replace(/^[^.]+/, anchor.id),
    userName: fx.subject.userName,
    password: fx.subject.password,
    stamp: subjectRow?.concurrency_stamp ?? '',
    staleStamp: fx.staleStamp,
    tenantId: fx.subject.id,
  };
  const value = values[live.name];
  switch (live.variant) {
    case 'exact':
      return value;
    case 'padded':
      return `  ${value}\t`;
    case 'upper':
      return value.toUpperCase();
    case 'lower':
      return value.toLowerCase();
    case 'truncated':
      return value.slice(0, -1);
    case 'extended':
      return `${value}A`;
    case 'doubled':
      return value + value;
  }
}

const variant = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Variant>('exact') },
  { weight: 1, arbitrary: fc.constantFrom<Variant>('padded', 'upper', 'lower', 'truncated', 'extended', 'doubled') },
);
const live = (name: LiveName) => variant.map((chosen) => new Live(name, chosen));
const exactly = (name: LiveName) => fc.constant(new Live(name, 'exact'));

const char = (min: number, max: number) => fc.integer({ min, max }).map((code) => String.fromCharCode(code));
const controlChar = fc.oneof(char(0x00, 0x1f), char(0x7f, 0x9f), fc.constantFrom('\u200b', '\u200e', '\u202e', '\u2028', '\ufeff', '\ufffe'));
const surrogateHalf = char(0xd800, 0xdfff);
const anyUnit = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), controlChar, surrogateHalf);

const hostileString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: anyUnit, maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\u3000'), maxLength: 8 }),
  // Lengths at and around every limit the contract names (2, 15, 60, 100, 128, 512 and 16 KiB).
  fc
    .constantFrom(0, 1, 2, 7, 8, 15, 16, 59, 60, 61, 99, 100, 101, 127, 128, 129, 511, 512, 513, 16_400)
    .chain((length) => fc.constantFrom('a'.repeat(length), `${'a'.repeat(Math.max(0, length - 12))}@example.com`, '\u{1F600}'.repeat(length))),
  fc.tuple(fc.string({ unit: anyUnit, minLength: 1, maxLength: 3 }), fc.integer({ min: 100, max: 6_000 })).map(([unit, times]) => unit.repeat(times)),
  fc.constantFrom(
    "' OR '1'='1",
    '"; DROP TABLE tenants; --',
    '<script>alert(1)</script>',
    '${7*7}',
    '%s%n%x',
    '../../etc/passwd',
    '__proto__',
    'null',
    'NaN',
    '{}',
    '\\u0000',
  ),
  fc.uuid().chain((uuid) => fc.constantFrom(uuid, uuid.toUpperCase(), `{${uuid}}`, uuid.replaceAll('-', ''), ` ${uuid}`)),
  fc.emailAddress(),
);

const liveValue = fc.oneof(live('password'), live('stamp'), live('staleStamp'), live('userName'), live('token'), live('apiKey'), live('tenantId'));

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileString },
  { weight: 2, arbitrary: liveValue },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
  { weight: 1, arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);

const ABSENT = Symbol('absent');

type BodySpec =
  | { kind: 'json'; value: unknown }
  /** A JSON object written by hand, so duplicate and `__proto__` keys reach the server as such. */
  | { kind: 'pairs'; pairs: [string, unknown][] }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array };

interface HostileRequest {
  method: string;
  path: string;
  query: string;
  apiKey: string | Live | undefined;
  token: string | Live | undefined;
  contentType: string | undefined;
  headers: Record<string, string>;
  body: BodySpec | undefined;
}

function headerSafe(value: string): boolean {
  try {
    new Headers([['x-probe', value]]);
    return true;
  } catch {
    return false;
  }
}

// ASCII only: workerd accepts other header values but prints a warning for each one. NUL, CR and LF
// cannot be put in a header at all.
const headerChar = char(0x01, 0x7e).filter((c) => c !== '\r' && c !== '\n');
const headerText = (maxLength: number) => fc.string({ unit: headerChar, maxLength }).filter(headerSafe);
const hugeHeader = fc.integer({ min: 513, max: 12_000 }).map((length) => 'k'.repeat(length));
const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const wellFormedToken = fc
  .tuple(fc.uuid(), hex(32), fc.base64String({ minLength: 44, maxLength: 44 }))
  .map(([tenant, session, secret]) => `${tenant.toUpperCase()}.${session}.${secret.slice(0, 43).replaceAll('+', '-').replaceAll('/', '_')}`);

const apiKeyHeader = fc.oneof(
  { weight: 8, arbitrary: exactly('apiKey') },
  { weight: 1, arbitrary: live('apiKey') },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: live('revokedApiKey') },
  { weight: 1, arbitrary: fc.oneof(headerText(80), hugeHeader, fc.constantFrom('srk_', 'Bearer x', 'null', '')) },
);

const tokenHeader = fc.oneof(
  { weight: 8, arbitrary: exactly('token') },
  { weight: 1, arbitrary: live('token') },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.oneof(live('loggedOutToken'), live('foreignToken')) },
  { weight: 1, arbitrary: fc.oneof(headerText(120), hugeHeader, wellFormedToken) },
);

const contentTypeHeader = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json;charset=UTF-16',
      'application/json ; foo=bar',
      'application/json;',
      'application/jsonx',
      'application/json-patch+json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain',
      'text/json',
      '',
      'application/json, text/plain',
      '*/*',
    ),
  },
  { weight: 1, arbitrary: headerText(60) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'transfer-encoding', 'x-api-key', 'x-token', 'host', 'connection', 'expect', 'upgrade', 'te', 'trailer', 'keep-alive']);
const extraHeaders = fc.dictionary(
  fc.oneof(
    fc.constantFrom('Origin', 'X-Request-Id', 'Authorization', 'Cookie', 'X-Forwarded-For', 'X-HTTP-Method-Override', 'Accept', 'Accept-Encoding', 'Range'),
    fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,24}$/),
  ).filter((name) => !RESERVED_HEADERS.has(name.toLowerCase())),
  headerText(60),
  { maxKeys: 3 },
);

const query = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.webQueryParameters() },
  { weight: 1, arbitrary: fc.string({ unit: anyUnit, maxLength: 30 }) },
);

const notJsonText = fc.oneof(
  fc.string({ unit: anyUnit, maxLength: 60 }),
  // Valid JSON, then broken: truncated, or with a character slipped in.
  fc.tuple(fc.json({ maxDepth: 3 }), fc.nat(), fc.string({ unit: anyUnit, maxLength: 2 })).map(
    ([json, at, slipped]) => json.slice(0, at % (json.length + 1)) + slipped + json.slice((at % (json.length + 1)) + (slipped ? 0 : 1)),
  ),
  fc.constantFrom('{', '{"a":1}{"b":2}', '{"a":1,}', "{'a':1}", '\ufeff{}', 'NaN', '1e999', '-', '{"a":"\\x41"}', '{"a":"\\ud800"}', '[]', 'null'),
  fc.integer({ min: 50, max: 6_000 }).chain((depth) => fc.constantFrom('['.repeat(depth) + ']'.repeat(depth), '{"a":'.repeat(depth) + '1' + '}'.repeat(depth), '['.repeat(depth))),
);

/** Each field usually valid (so later checks are reached), sometimes hostile, sometimes left out. */
function nearlyValid(fields: Record<string, fc.Arbitrary<unknown>>, validWeight: number) {
  const model = Object.fromEntries(
    Object.entries(fields).map(([name, valid]) => [
      name,
      fc.oneof(
        { weight: validWeight, arbitrary: valid },
        { weight: 1, arbitrary: hostileValue },
        { weight: 1, arbitrary: fc.constant(ABSENT) },
      ),
    ]),
  );
  return fc.tuple(fc.dictionary(extraKey, hostileValue, { maxKeys: 2 }), fc.record(model)).map(([extra, chosen]) => ({
    ...Object.fromEntries(Object.entries(extra)),
    ...Object.fromEntries(Object.entries(chosen).filter(([, value]) => value !== ABSENT)),
  }));
}

const extraKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'tenantId', 'isDisabled', 'passwordHash', 'toString', ''),
  fc.string({ maxLength: 10 }),
);

function bodyFor(fields: Record<string, fc.Arbitrary<unknown>>, validWeight: number): fc.Arbitrary<BodySpec | undefined> {
  const names = Object.keys(fields);
  const key = names.length > 0 ? fc.oneof(fc.constantFrom(...names), extraKey) : extraKey;
  return fc.oneof(
    { weight: 6, arbitrary: nearlyValid(fields, validWeight).map((value) => ({ kind: 'json' as const, value })) },
    {
      weight: 3,
      arbitrary: fc
        .record(Object.fromEntries(names.map((name) => [name, hostileValue])), { requiredKeys: [] })
        .map((value) => ({ kind: 'json' as const, value })),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(key, fc.oneof(hostileValue, ...Object.values(fields))), { maxLength: 6 })
        .map((pairs) => ({ kind: 'pairs' as const, pairs })),
    },
    { weight: 1, arbitrary: fc.jsonValue().map((value) => ({ kind: 'json' as const, value })) },
    { weight: 1, arbitrary: notJsonText.map((text) => ({ kind: 'text' as const, text })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ kind: 'bytes' as const, bytes })) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: { data: unknown; succeeded: boolean; status: string; errors: { code: string; message: string; field?: string }[] | null };
}

interface Sent {
  request: Request;
  /** The body exactly as sent, decoded, or undefined when there was none. */
  text: string | undefined;
}

function build(spec: HostileRequest, fx: Fixture, state: Snapshot): Sent {
  const resolve = (value: string | Live | undefined) => (value instanceof Live ? resolveLive(value, fx, state) : value);
  const replacer = (_key: string, value: unknown) => (value instanceof Live ? resolveLive(value, fx, state) : value);
  const headers = new Headers(spec.headers);
  const apiKey = resolve(spec.apiKey);
  const token = resolve(spec.token);
  if (apiKey !== undefined) headers.set('X-API-Key', apiKey);
  if (token !== undefined) headers.set('X-Token', token);
  if (spec.contentType !== undefined) headers.set('Content-Type', spec.contentType);
  let body: string | Uint8Array | undefined;
  let text: string | undefined;
  if (spec.body && spec.method !== 'GET' && spec.method !== 'HEAD') {
    switch (spec.body.kind) {
      case 'json':
        body = text = JSON.stringify(spec.body.value, replacer) ?? '';
        break;
      case 'pairs':
        body = text = `{${spec.body.pairs.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value, replacer) ?? 'null'}`).join(',')}}`;
        break;
      case 'text':
        body = text = spec.body.text;
        break;
      case 'bytes':
        body = spec.body.bytes;
        text = new TextDecoder().decode(spec.body.bytes);
        break;
    }
  }
  const url = `http://api.test${spec.path}${spec.query ? `?${spec.query}` : ''}`;
  return { request: new Request(url, { method: spec.method, headers, body }), text };
}

async function send(request: Request): Promise<Reply> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  let body: Reply['body'];
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`Not JSON (HTTP ${response.status}, Content-Type ${response.headers.get('Content-Type')}): ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** The envelope of the contract, with a status that fits its code. */
function expectEnvelope(reply: Reply): void {
  expect(reply.status, reply.text).toBeLessThan(500);
  expect(reply.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
  expect(Object.keys(reply.body).sort()).toEqual(['data', 'errors', 'status', 'succeeded']);
  expect(typeof reply.body.succeeded).toBe('boolean');
  if (reply.body.succeeded) {
    expect(reply.status).toBeLessThan(300);
    expect(reply.body.status).toBe('SUCCESS');
    expect(reply.body.errors).toBeNull();
    return;
  }
  expect(reply.status).toBeGreaterThanOrEqual(400);
  expect(reply.body.data).toBeNull();
  expect(Array.isArray(reply.body.errors) && reply.body.errors.length > 0, reply.text).toBe(true);
  const [first] = reply.body.errors!;
  expect(first.code).toBe(reply.body.status);
  for (const error of reply.body.errors!) {
    expect(Object.keys(ERRORS)).toContain(error.code);
    expect(typeof error.message).toBe('string');
  }
  if (first.code !== 'FAILED') expect(reply.status).toBe(ERRORS[first.code as keyof typeof ERRORS].status);
  if (reply.status === 429) expect(Number(reply.headers.get('Retry-After'))).toBeGreaterThan(0);
}

function expectNoSecrets(reply: Reply, fx: Fixture, held: Held, state: Snapshot): void {
  const subjectRow = state.tenants.find((row) => row.id === fx.subject.id);
  for (const secret of [held.password, fx.subject.apiKey, held.token.split('.')[2], subjectRow?.password_hash]) {
    // A generated new password may be the tenant id itself, which responses rightly carry.
    if (secret && secret !== fx.subject.id) expect(reply.text).not.toContain(secret);
  }
}

interface TenantRow {
  id: string;
  user_name: string;
  password_hash: string | null;
  concurrency_stamp: string | null;
  concurrency_stamp_issued_at: number | null;
  password_changed_at: number | null;
  is_disabled: number;
  first_name: string;
  last_name: string;
  phone_number: string | null;
  created_at: number;
}

interface Snapshot {
  tenants: TenantRow[];
  passwordHistory: number;
  /** Audit rows other than failed password checks. */
  auditEvents: number;
  /** Audit rows of failed password checks: the one change a failure may leave, and only its own. */
  failedChecks: number;
}

async function snapshot(): Promise<Snapshot> {
  const placeholders = FAILED_CHECK_OUTCOMES.map(() => '?').join(', ');
  const [tenants, history, audit, failedChecks] = await env.DB.batch<Record<string, unknown>>([
    env.DB.prepare('SELECT * FROM tenants ORDER BY id'),
    env.DB.prepare('SELECT count(*) AS n FROM password_history'),
    env.DB.prepare(`SELECT count(*) AS n FROM audit_events WHERE outcome NOT IN (${placeholders})`).bind(...FAILED_CHECK_OUTCOMES),
    env.DB.prepare(`SELECT count(*) AS n FROM audit_events WHERE outcome IN (${placeholders})`).bind(...FAILED_CHECK_OUTCOMES),
  ]);
  return {
    tenants: tenants.results as unknown as TenantRow[],
    passwordHistory: Number(history.results[0].n),
    auditEvents: Number(audit.results[0].n),
    failedChecks: Number(failedChecks.results[0].n),
  };
}

const others = (state: Snapshot, id: string) => state.tenants.filter((row) => row.id !== id);
const rowOf = (state: Snapshot, id: string) => state.tenants.find((row) => row.id === id)!;

function parsed(text: string | undefined): Record<string, unknown> {
  try {
    const value = JSON.parse(text ?? '');
    return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

/** The subject's credentials as they were when the request was sent. */
interface Held {
  password: string;
  token: string;
}

interface SuccessContext {
  reply: Reply;
  sent: Sent;
  fx: Fixture;
  held: Held;
  before: Snapshot;
  after: Snapshot;
}

interface RouteSpec {
  name: string;
  method: string;
  path: string;
  session: boolean;
  /** The valid value of each body field, as a generator. */
  fields: Record<string, fc.Arbitrary<unknown>>;
  /** Higher: more bodies pass validation, and more requests run PBKDF2. */
  validWeight: number;
  numRuns: number;
  /** Keeps the fixture in step with a success (new password, replaced session), before anything is checked. */
  refresh?: (context: SuccessContext) => Promise<void>;
  /** Checks a success was earned and did only what the route promises. */
  onSuccess: (context: SuccessContext) => Promise<void>;
}

const personName = fc.oneof(fc.constantFrom('Jane', 'Zoë', '李雷', "O'Brien", 'Jo'), fc.string({ unit: 'grapheme', minLength: 2, maxLength: 30 }));
const freshPassphrase = fc.uuid().map((uuid) => `a fresh passphrase ${uuid}`);

const ROUTES: RouteSpec[] = [
  {
    name: 'POST /v1/register',
    method: 'POST',
    path: '/v1/register',
    session: false,
    fields: {
      userName: fc.oneof({ weight: 4, arbitrary: fc.uuid().map((uuid) => `fuzz-${uuid}@example.com`) }, { weight: 1, arbitrary: live('userName') }),
      password: fc.oneof({ weight: 4, arbitrary: fc.uuid().map((uuid) => `Pw-${uuid}`) }, { weight: 1, arbitrary: fc.constantFrom('password', '12345678', 'Jane Doe 1') }),
      firstName: personName,
      lastName: personName,
      phoneNumber: fc.oneof(fc.constant(undefined), fc.constant(null), fc.stringMatching(/^\+?[0-9]{0,14}$/)),
    },
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
    name: 'POST /v1/login',
    method: 'POST',
    path: '/v1/login',
    session: false,
    fields: {
      userName: fc.oneof({ weight: 8, arbitrary: live('userName') }, { weight: 1, arbitrary: fc.uuid().map((uuid) => `nobody-${uuid}@example.com`) }),
      // Mostly wrong, so the user name's throttle locks it out (429) early in the run.
      password: fc.oneof(
        { weight: 1, arbitrary: exactly('password') },
        { weight: 2, arbitrary: fc.oneof(live('password'), fc.uuid().map((uuid) => `wrong-${uuid}`)) },
      ),
    },
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
    name: 'POST /v1/logout',
    method: 'POST',
    path: '/v1/logout',
    session: true,
    fields: {},
    validWeight: 1,
    numRuns: 600,
    async refresh({ fx }) {
      fx.token = await mintSession(fx.subject);
    },
    async onSuccess({ reply, fx, held, before, after }) {
      expect(reply.body.data).toBeNull();
      expect(after).toEqual(before);
      const revoked = await call('/v1/logout', { method: 'POST', apiKey: fx.subject.apiKey, token: held.token });
      expect(revoked.status).toBe(401);
    },
  },
  {
    name: 'GET /v1/tenant/profile/change-password/request',
    method: 'GET',
    path: '/v1/tenant/profile/change-password/request',
    session: true,
    fields: {},
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
    name: 'PUT /v1/tenant/profile/change-password',
    method: 'PUT',
    path: '/v1/tenant/profile/change-password',
    session: true,
    fields: {
      existingPassword: fc.oneof(
        { weight: 3, arbitrary: exactly('password') },
        { weight: 1, arbitrary: fc.oneof(live('password'), fc.uuid().map((uuid) => `wrong-${uuid}`)) },
      ),
      newPassword: fc.oneof({ weight: 4, arbitrary: freshPassphrase }, { weight: 1, arbitrary: fc.oneof(exactly('password'), fc.constantFrom('password', 'short')) }),
      concurrencyStamp: fc.oneof({ weight: 4, arbitrary: live('stamp') }, { weight: 1, arbitrary: fc.oneof(live('staleStamp'), fc.uuid()) }),
    },
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
      expect([after.passwordHistory, after.auditEvents]).toEqual([before.passwordHistory + 1, before.auditEvents + 1]);
    },
  },
];

function requestFor(route: RouteSpec): fc.Arbitrary<HostileRequest> {
  return fc.record({
    method: fc.constant(route.method),
    path: fc.constant(route.path),
    query,
    apiKey: apiKeyHeader,
    token: route.session ? tokenHeader : fc.oneof(fc.constant(undefined), tokenHeader),
    contentType: contentTypeHeader,
    headers: extraHeaders,
    body: route.method === 'GET' ? fc.constant(undefined) : bodyFor(route.fields, route.validWeight),
  });
}

beforeAll(async () => {
  anchor = await registerTenant();
  anchorRow = rowOf(await snapshot(), anchor.id);
});

afterAll(async () => {
  expect(rowOf(await snapshot(), anchor.id)).toEqual(anchorRow);
  await login(anchor);
});

describe.each(ROUTES)('$name under hostile input', (route) => {
  let fx: Fixture;

  beforeAll(async () => {
    fx = await makeFixture();
  });

  afterAll(async () => {
    // The session and the credentials the fuzzing started with (or legitimately changed to) still work.
    await requestStamp(fx.subject, fx.token);
    if (route.name !== 'POST /v1/login') await login(fx.subject);
  });

  it.prop([requestFor(route)], { numRuns: route.numRuns })(
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
      if (reply.body?.succeeded === true) await route.refresh?.(context);

      expectEnvelope(reply);
      expectNoSecrets(reply, fx, held, before);
      if (!reply.body.succeeded) {
        const audited = FAILED_CHECK_CODES.includes(reply.body.status) ? 1 : 0;
        expect(after).toEqual({ ...before, failedChecks: before.failedChecks + audited });
        return;
      }
      expect(sent.request.headers.get('X-API-Key')).toBe(fx.subject.apiKey);
      if (route.session) expect(sent.request.headers.get('X-Token')).toBe(held.token);
      await route.onSuccess(context);
    },
    60_000,
  );
});

/** Pages outside the API with their own answers (HTML, redirects, static assets); not fuzzed here. */
const NON_API_PREFIXES = ['/openapi.json', '/docs', '/.well-known', '/scalar'];

const MUTATIONS = ['trailing-slash', 'double-slash', 'upper', 'extra-segment', 'v2', 'no-version', 'encoded-slash', 'nul', 'dot-segment', 'semicolon', 'encoded-letter'] as const;

function mutate(path: string, mutation: (typeof MUTATIONS)[number]): string {
  switch (mutation) {
    case 'trailing-slash':
      return `${path}/`;
    case 'double-slash':
      return path.replace('/v1/', '/v1//');
    case 'upper':
      return path.toUpperCase();
    case 'extra-segment':
      return `${path}/x`;
    case 'v2':
      return path.replace('/v1', '/v2');
    case 'no-version':
      return path.replace('/v1', '');
    case 'encoded-slash':
      return `/${path.slice(1).replaceAll('/', '%2F')}`;
    case 'nul':
      return `${path}%00`;
    case 'dot-segment':
      return `${path}/..`;
    case 'semicolon':
      return `${path};x`;
    case 'encoded-letter':
      // Decodes to the real path: a route with the right method is filtered out below, a wrong one answers 405.
      return path.replace(/[a-z]/, (letter) => `%${letter.charCodeAt(0).toString(16)}`);
  }
}

/** The path Hono routes on: percent-decoded where that is possible, sequence by sequence where it is not. */
function routedPath(path: string): string {
  const pathname = new URL(`http://api.test${path}`).pathname;
  try {
    return decodeURI(pathname);
  } catch {
    return pathname.replace(/(?:%[0-9A-Fa-f]{2})+/g, (match) => {
      try {
        return decodeURI(match);
      } catch {
        return match;
      }
    });
  }
}

function isRouted(method: string, path: string): boolean {
  const routed = routedPath(path);
  if (NON_API_PREFIXES.some((prefix) => routed.startsWith(prefix))) return true;
  return ROUTES.some((route) => route.path === routed && route.method === method);
}

const strayPath = fc.oneof(
  fc.tuple(fc.constantFrom(...ROUTES.map((route) => route.path)), fc.constantFrom(...MUTATIONS)).map(([path, mutation]) => mutate(path, mutation)),
  fc.webPath().map((path) => `/v1/${path.replace(/^\//, '')}`),
  fc.webPath().map((path) => `/${path.replace(/^\//, '')}`),
  fc
    .array(fc.oneof(fc.webSegment(), fc.constantFrom('v1', '%', '%2', '%zz', '%00', '%ff', '%E0%A4%A', '%2F', '%5C', '..', '.', ';', '~', '%2e%2e')), { maxLength: 5 })
    .map((segments) => `/${segments.join('/')}`),
  fc.string({ unit: anyUnit, maxLength: 30 }).map((text) => `/v1/${text}`),
);

const strayRequest: fc.Arbitrary<HostileRequest> = fc
  .record({
    target: fc.oneof(
      fc.record({ method: fc.constantFrom(...METHODS), path: strayPath }),
      fc.record({ method: fc.constantFrom(...METHODS), path: fc.constantFrom(...ROUTES.map((route) => route.path)) }),
    ),
    query,
    apiKey: apiKeyHeader,
    token: fc.oneof(fc.constant(undefined), tokenHeader),
    contentType: contentTypeHeader,
    headers: extraHeaders,
    body: bodyFor(ROUTES.find((route) => route.name === 'PUT /v1/tenant/profile/change-password')!.fields, 6),
  })
  .filter(({ target }) => !isRouted(target.method, target.path))
  .map(({ target, ...rest }) => ({ ...target, ...rest }));

describe('paths that are no route, and wrong methods, under hostile input', () => {
  let fx: Fixture;

  beforeAll(async () => {
    fx = await makeFixture();
  });

  it.prop([strayRequest], { numRuns: 1500 })(
    'should answer 404 or 405 in the envelope, never a 5xx, and change nothing',
    async (spec) => {
      const before = await snapshot();
      const { request } = build(spec, fx, before);

      const ctx = createExecutionContext();
      const response = await worker.fetch(request, env, ctx);
      await waitOnExecutionContext(ctx);
      const text = await response.text();

      expect(await snapshot()).toEqual(before);
      expect(response.status, text).toBeLessThan(500);
      if (spec.method === 'OPTIONS' && response.status === 204) {
        // CORS preflight on /v1/*: answered by the cors middleware, with no body at all.
        expect(text).toBe('');
        return;
      }
      expect([404, 405]).toContain(response.status);
      expect(response.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
      if (response.status === 405) {
        const allow = response.headers.get('Allow');
        expect(allow).toMatch(/^[A-Z]+(, ?[A-Z]+)*$/);
        expect(allow!.split(',').map((method) => method.trim())).not.toContain(spec.method);
      }
      if (spec.method === 'HEAD') {
        expect(text).toBe('');
        return;
      }
      const reply = { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
      expectEnvelope(reply);
      expect(reply.body.status).toBe('FAILED');
      expectNoSecrets(reply, fx, { password: fx.subject.password, token: fx.token }, before);
    },
    60_000,
  );
});
