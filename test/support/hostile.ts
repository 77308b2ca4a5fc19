import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, expect } from 'vitest';
import { issueToken } from '../../src/auth/session-token';
import { tokenSignerFrom } from '../../src/auth/token-signing';
import { settingsFrom } from '../../src/config';
import { tenantSessions } from '../../src/sessions/stub';
import { Live, type HostileRequest, type LiveName } from './arbitraries';
import { tenantState, type TenantRow } from './db';
import { ORIGIN } from './dispatch';
import { expectSuccess } from './envelope';
import type { Reply } from './request';
import { createApiKey, login, logoutReply, registerTenant, requestStamp, type TestTenant } from './tenants';

/*
 * What a fuzzed request runs against, and what it is judged by: a real logged-in tenant holding a
 * current stamp, and snapshots of D1 before and after.
 */

/** Failed password checks are audited by design: the one change a failure may leave in D1. */
const FAILED_CHECK_OUTCOMES = ['invalid_credentials', 'mismatch_existing_password'];
export const FAILED_CHECK_CODES = ['INVALID_CREDENTIALS', 'MISMATCH_EXISTING_PASSWORD'];

export interface Fixture {
  subject: TestTenant;
  /** A live session of the subject; replaced if a generated logout revokes it. */
  token: string;
  loggedOutToken: string;
  revokedApiKey: string;
  /** A stamp of the subject that expired and was replaced by a later one. */
  staleStamp: string;
  /** Another tenant, whose Durable Object a foreign token is sent to. */
  bystander: TestTenant;
}

/** A session put straight into the tenant's Durable Object, as a login would, without paying for PBKDF2. */
export async function mintSession(tenant: TestTenant): Promise<string> {
  const issued = await issueToken(tokenSignerFrom(env), tenant.business, tenant.id);
  const session = {
    sessionId: issued.sessionId,
    secretHash: issued.secretHash,
    business: tenant.business,
    expiresAt: Date.now() + settingsFrom(env).sessionTtlMs,
  };
  // Verified "now": at least as new as any password change the object has settled.
  await tenantSessions(env, tenant.business, tenant.id).createSession(session, Date.now());
  return issued.token;
}

export async function makeFixture(bystander: TestTenant): Promise<Fixture> {
  const subject = await registerTenant();
  const token = await login(subject);
  const loggedOutToken = await mintSession(subject);
  expectSuccess(await logoutReply(subject, loggedOutToken));
  // The live stamp is renewed, not replaced, when asked for again: let it expire to get a new one.
  const staleStamp = await requestStamp(subject, token);
  await tenantState.setStampIssuedAt(subject.id, 0);
  await requestStamp(subject, token);
  return { subject, token, loggedOutToken, revokedApiKey: await createApiKey({ revoked: true }), staleStamp, bystander };
}

function resolveLive(live: Live, fx: Fixture, state: Snapshot): string {
  const subjectRow = state.tenants.find((row) => row.id === fx.subject.id);
  const values: Record<LiveName, string> = {
    apiKey: fx.subject.apiKey,
    revokedApiKey: fx.revokedApiKey,
    token: fx.token,
    loggedOutToken: fx.loggedOutToken,
    // The subject's session id and secret, sent to another tenant's Durable Object.
    foreignToken: fx.token.replace(/^[^.]+/, fx.bystander.id),
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

export interface Sent {
  request: Request;
  /** The body exactly as sent, decoded, or undefined when there was none. */
  text: string | undefined;
}

export function build(spec: HostileRequest, fx: Fixture, state: Snapshot): Sent {
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
  const url = `${ORIGIN}${spec.path}${spec.query ? `?${spec.query}` : ''}`;
  return { request: new Request(url, { method: spec.method, headers, body }), text };
}

export function expectNoSecrets(reply: Reply, fx: Fixture, held: Held, state: Snapshot): void {
  const subjectRow = state.tenants.find((row) => row.id === fx.subject.id);
  for (const secret of [held.password, fx.subject.apiKey, held.token.split('.')[2], subjectRow?.password_hash]) {
    // A generated new password may be the tenant id itself, which responses rightly carry.
    if (secret && secret !== fx.subject.id) expect(reply.text).not.toContain(secret);
  }
}

export interface Snapshot {
  tenants: TenantRow[];
  passwordHistory: number;
  /** Audit rows other than failed password checks. */
  auditEvents: number;
  /** Audit rows of failed password checks: the one change a failure may leave, and only its own. */
  failedChecks: number;
}

export async function snapshot(): Promise<Snapshot> {
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

export const others = (state: Snapshot, id: string) => state.tenants.filter((row) => row.id !== id);
export const rowOf = (state: Snapshot, id: string) => state.tenants.find((row) => row.id === id)!;

export function parsed(text: string | undefined): Record<string, unknown> {
  try {
    const value = JSON.parse(text ?? '');
    return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

/** The subject's credentials as they were when the request was sent. */
export interface Held {
  password: string;
  token: string;
}

export interface SuccessContext {
  reply: Reply;
  sent: Sent;
  fx: Fixture;
  held: Held;
  before: Snapshot;
  after: Snapshot;
}

/**
 * A tenant nobody fuzzes: at the end of the file its row is untouched and its original password works.
 * Returns it, for the fixtures' foreign tokens.
 */
export function guardBystander(): () => TestTenant {
  let bystander: TestTenant;
  let before: TenantRow;
  beforeAll(async () => {
    bystander = await registerTenant();
    before = rowOf(await snapshot(), bystander.id);
  });
  afterAll(async () => {
    expect(rowOf(await snapshot(), bystander.id)).toEqual(before);
    await login(bystander);
  });
  return () => bystander;
}
