import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { call, expectFailure } from './helpers';

const PORTAL_URL = 'https://portal.example.com/account/password';

// `wrangler types` gives each var the literal type of its value in wrangler.jsonc (here ""),
// so another value needs the assertion.
const withChangePasswordUrl = (url: string) => ({ ...env, CHANGE_PASSWORD_URL: url }) as Env;

describe('GET /.well-known/change-password', () => {
  it('should redirect to CHANGE_PASSWORD_URL with 302, without any key', async () => {
    const reply = await fetchRedirect('/.well-known/change-password', withChangePasswordUrl(PORTAL_URL));

    expect(reply.status).toBe(302);
    expect(reply.headers.get('Location')).toBe(PORTAL_URL);
  });

  it('should accept an http URL', async () => {
    const reply = await fetchRedirect('/.well-known/change-password', withChangePasswordUrl('http://localhost:3000/password'));

    expect(reply.status).toBe(302);
    expect(reply.headers.get('Location')).toBe('http://localhost:3000/password');
  });

  it('should answer 404 FAILED when CHANGE_PASSWORD_URL is empty, as wrangler.jsonc ships it', async () => {
    expect(env.CHANGE_PASSWORD_URL).toBe('');

    const reply = await call('/.well-known/change-password');

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
    const reply = await call('/.well-known/change-password', { env: withChangePasswordUrl(url) });

    expectFailure(reply, 404, 'FAILED');
    expect(reply.headers.get('Location')).toBeNull();
  });

  it('should answer 405 with Allow: GET for another method', async () => {
    const reply = await call('/.well-known/change-password', { method: 'POST', env: withChangePasswordUrl(PORTAL_URL) });

    expectFailure(reply, 405, 'FAILED');
    expect(reply.headers.get('Allow')).toBe('GET');
  });
});

/** Like `call`, for an answer without a JSON body: status and headers only. */
async function fetchRedirect(path: string, bindings: Env) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`http://api.test${path}`), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return { status: response.status, headers: response.headers };
}
