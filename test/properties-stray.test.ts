import { it } from '@fast-check/vitest';
import { beforeAll, describe, expect } from 'vitest';
import { strayRequest } from './support/arbitraries';
import { dispatch } from './support/dispatch';
import { expectHandled } from './support/envelope';
import { build, expectNoSecrets, guardBystander, makeFixture, snapshot, type Fixture } from './support/hostile';

/*
 * Property-based hostile input on paths that are no route, and on routes with a method they do not
 * take: whatever arrives, the answer is 404 or 405 in the envelope (or a CORS preflight), never a 5xx,
 * and D1 is left as it was.
 */

const bystander = guardBystander();

describe('paths that are no route, and wrong methods, under hostile input', () => {
  let fx: Fixture;

  beforeAll(async () => {
    fx = await makeFixture(bystander());
  });

  it.prop([strayRequest], { numRuns: 1500 })(
    'should answer 404 or 405 in the envelope, never a 5xx, and change nothing',
    async (spec) => {
      const before = await snapshot();
      const { request } = build(spec, fx, before);

      const response = await dispatch(request);
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
      expectHandled(reply);
      expect(reply.body.status).toBe('FAILED');
      expectNoSecrets(reply, fx, { password: fx.subject.password, token: fx.token }, before);
    },
    60_000,
  );
});
