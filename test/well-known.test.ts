import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { expectFailure } from './support/envelope';
import { call, callRaw } from './support/request';
import { WELL_KNOWN_CHANGE_PASSWORD } from './support/routes';

const PORTAL_URL = 'https://portal.example.com/account/password';

// `wrangler types` gives each var the literal type of its value in the wrangler config (here ""),
// so another value needs the assertion.
const withChangePasswordUrl = (url: string) => ({ ...env, CHANGE_PASSWORD_URL: url }) as Env;

describe('GET /.well-known/change-password', () => {
  it('should redirect to CHANGE_PASSWORD_URL with 302, without any key', async () => {
    const reply = await callRaw(WELL_KNOWN_CHANGE_PASSWORD, { env: withChangePasswordUrl(PORTAL_URL) });

    expect(reply.status).toBe(302);
    expect(reply.headers.get('Location')).toBe(PORTAL_URL);
  });

  it('should accept an http URL', async () => {
    const reply = await callRaw(WELL_KNOWN_CHANGE_PASSWORD, { env: withChangePasswordUrl('http://localhost:3000/password') });

    expect(reply.status).toBe(302);
    expect(reply.headers.get('Location')).toBe('http://localhost:3000/password');
  });

  it('should answer 404 FAILED when CHANGE_PASSWORD_URL is empty, as the wrangler config ships it', async () => {
    expect(env.CHANGE_PASSWORD_URL).toBe('');

    const reply = await call(WELL_KNOWN_CHANGE_PASSWORD);

    expectFailure(reply, 404, 'FAILED');
    expect(reply.headers.get('Location')).toBeNull();
  });

  it.each([
    ['not a URL', 'portal.example.com/account/password'],
    ['a relative path', '/account/password'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['an ftp URL', 'ftp://portal.example.com/password'],
    ['blank', '   '],
  ])('should answer 404 FAILED when CHANGE_PASSWORD_URL is %s', async (_, url) => {
    const reply = await call(WELL_KNOWN_CHANGE_PASSWORD, { env: withChangePasswordUrl(url) });

    expectFailure(reply, 404, 'FAILED');
    expect(reply.headers.get('Location')).toBeNull();
  });

  it('should answer 405 with Allow: GET for another method', async () => {
    const reply = await call(WELL_KNOWN_CHANGE_PASSWORD, { method: 'POST', env: withChangePasswordUrl(PORTAL_URL) });

    expectFailure(reply, 405, 'FAILED');
    expect(reply.headers.get('Allow')).toBe('GET');
  });
});
