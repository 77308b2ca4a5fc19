import { fc } from '@fast-check/vitest';
import { IMPORTED_HASH } from './imported-hash';
import { ALL_ROUTES, type Route, type RouteName } from './routes';
import { madeUpResetToken } from './builders';

/*
 * The generators of hostile requests: arbitrary bodies, Content-Types, credentials and paths, and
 * sometimes the valid values of a real logged-in tenant (`Live` placeholders, resolved when sent).
 */

/** The methods workerd's Request accepts; any other string throws before reaching the worker. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'PURGE', 'SEARCH', 'QUERY'];

export type LiveName =
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
export class Live {
  constructor(
    readonly name: LiveName,
    readonly variant: Variant,
  ) {}

  [fc.toStringMethod](): string {
    return `Live(${this.name}, ${this.variant})`;
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
export const anyUnit = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), controlChar, surrogateHalf);

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

export const ABSENT = Symbol('absent');

export type BodySpec =
  | { kind: 'json'; value: unknown }
  /** A JSON object written by hand, so duplicate and `__proto__` keys reach the server as such. */
  | { kind: 'pairs'; pairs: [string, unknown][] }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array };

export interface HostileRequest {
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

export const apiKeyHeader = fc.oneof(
  { weight: 8, arbitrary: exactly('apiKey') },
  { weight: 1, arbitrary: live('apiKey') },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: live('revokedApiKey') },
  { weight: 1, arbitrary: fc.oneof(headerText(80), hugeHeader, fc.constantFrom('srk_', 'Bearer x', 'null', '')) },
);

export const tokenHeader = fc.oneof(
  { weight: 8, arbitrary: exactly('token') },
  { weight: 1, arbitrary: live('token') },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.oneof(live('loggedOutToken'), live('foreignToken')) },
  { weight: 1, arbitrary: fc.oneof(headerText(120), hugeHeader, wellFormedToken) },
);

export const contentTypeHeader = fc.oneof(
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
export const extraHeaders = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'Origin',
      'X-Request-Id',
      'X-Device-Token',
      'CF-Connecting-IP',
      'Authorization',
      'Cookie',
      'X-Forwarded-For',
      'X-HTTP-Method-Override',
      'Accept',
      'Accept-Encoding',
      'Range',
    ),
    fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,24}$/),
  ).filter((name) => !RESERVED_HEADERS.has(name.toLowerCase())),
  headerText(60),
  { maxKeys: 3 },
);

export const query = fc.oneof(
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

export function bodyFor(fields: Record<string, fc.Arbitrary<unknown>>, validWeight: number): fc.Arbitrary<BodySpec | undefined> {
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

const personName = fc.oneof(fc.constantFrom('Jane', 'Zoë', '李雷', "O'Brien", 'Jo'), fc.string({ unit: 'grapheme', minLength: 2, maxLength: 30 }));
const freshPassphrase = fc.uuid().map((uuid) => `a fresh passphrase ${uuid}`);

/** The valid value of each body field of each route, as a generator. */
export const VALID_FIELDS: Record<RouteName, Record<string, fc.Arbitrary<unknown>>> = {
  register: {
    userName: fc.oneof({ weight: 4, arbitrary: fc.uuid().map((uuid) => `fuzz-${uuid}@example.com`) }, { weight: 1, arbitrary: live('userName') }),
    password: fc.oneof({ weight: 4, arbitrary: fc.uuid().map((uuid) => `Pw-${uuid}`) }, { weight: 1, arbitrary: fc.constantFrom('password', '12345678', 'Jane Doe 1') }),
    firstName: personName,
    lastName: personName,
    phoneNumber: fc.oneof(fc.constant(undefined), fc.constant(null), fc.stringMatching(/^\+?[0-9]{0,14}$/)),
  },
  login: {
    userName: fc.oneof({ weight: 8, arbitrary: live('userName') }, { weight: 1, arbitrary: fc.uuid().map((uuid) => `nobody-${uuid}@example.com`) }),
    // Mostly wrong, so the user name's throttle locks it out (429) early in the run.
    password: fc.oneof(
      { weight: 1, arbitrary: exactly('password') },
      { weight: 2, arbitrary: fc.oneof(live('password'), fc.uuid().map((uuid) => `wrong-${uuid}`)) },
    ),
  },
  logout: {},
  stamp: {},
  change: {
    existingPassword: fc.oneof(
      { weight: 3, arbitrary: exactly('password') },
      { weight: 1, arbitrary: fc.oneof(live('password'), fc.uuid().map((uuid) => `wrong-${uuid}`)) },
    ),
    newPassword: fc.oneof({ weight: 4, arbitrary: freshPassphrase }, { weight: 1, arbitrary: fc.oneof(exactly('password'), fc.constantFrom('password', 'short')) }),
    concurrencyStamp: fc.oneof({ weight: 4, arbitrary: live('stamp') }, { weight: 1, arbitrary: fc.oneof(live('staleStamp'), fc.uuid()) }),
  },
  import: {
    tenants: fc.array(
      fc.record({
        userName: fc.uuid().map((uuid) => `fuzz-import-${uuid}@example.com`),
        firstName: personName,
        lastName: personName,
        passwordHash: fc.oneof(fc.constant(IMPORTED_HASH), fc.base64String({ maxLength: 120 })),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  },
  session: {},
  adminFind: {},
  adminDisable: {},
  adminEnable: {},
  adminSignOut: {},
  adminUnlock: {},
  adminDelete: {},
  issueReset: {},
  // Well-formed tokens nobody issued: each completion is judged (409) and counted against the client.
  reset: {
    resetToken: fc.uuid().map((uuid) => madeUpResetToken(uuid.toUpperCase())),
    newPassword: fc.oneof({ weight: 4, arbitrary: freshPassphrase }, { weight: 1, arbitrary: fc.constantFrom('password', 'short') }),
  },
};

/** A request to `route`: its method and path, anything else hostile; `validWeight` weighs valid fields against the rest. */
export function requestTo(route: Route, validWeight: number): fc.Arbitrary<HostileRequest> {
  return fc.record({
    method: fc.constant(route.method),
    path: fc.constant(route.path),
    query,
    apiKey: apiKeyHeader,
    token: route.session ? tokenHeader : fc.oneof(fc.constant(undefined), tokenHeader),
    contentType: contentTypeHeader,
    headers: extraHeaders,
    body: route.method === 'GET' ? fc.constant(undefined) : bodyFor(VALID_FIELDS[route.name], validWeight),
  });
}

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
  return ALL_ROUTES.some((route) => route.method === method && templatePattern(route.path).test(routed));
}

/** A route's path as Hono matches it: `{tenantId}` stands for any one segment. */
const templatePattern = (path: string) => new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);

const strayPath = fc.oneof(
  fc.tuple(fc.constantFrom(...ALL_ROUTES.map((route) => route.path)), fc.constantFrom(...MUTATIONS)).map(([path, mutation]) => mutate(path, mutation)),
  fc.webPath().map((path) => `/v1/${path.replace(/^\//, '')}`),
  fc.webPath().map((path) => `/${path.replace(/^\//, '')}`),
  fc
    .array(fc.oneof(fc.webSegment(), fc.constantFrom('v1', '%', '%2', '%zz', '%00', '%ff', '%E0%A4%A', '%2F', '%5C', '..', '.', ';', '~', '%2e%2e')), { maxLength: 5 })
    .map((segments) => `/${segments.join('/')}`),
  fc.string({ unit: anyUnit, maxLength: 30 }).map((text) => `/v1/${text}`),
);

/** A request to a path that is no route, or with a method its route does not take. */
export const strayRequest: fc.Arbitrary<HostileRequest> = fc
  .record({
    target: fc.oneof(
      fc.record({ method: fc.constantFrom(...METHODS), path: strayPath }),
      fc.record({ method: fc.constantFrom(...METHODS), path: fc.constantFrom(...ALL_ROUTES.map((route) => route.path)) }),
    ),
    query,
    apiKey: apiKeyHeader,
    token: fc.oneof(fc.constant(undefined), tokenHeader),
    contentType: contentTypeHeader,
    headers: extraHeaders,
    body: bodyFor(VALID_FIELDS.change, 6),
  })
  .filter(({ target }) => !isRouted(target.method, target.path))
  .map(({ target, ...rest }) => ({ ...target, ...rest }));
