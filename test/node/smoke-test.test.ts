import { describe, expect, it } from 'vitest';
import { app } from '../../src/app';
import pkg from '../../package.json';
import { smokeTest } from '../../scripts/lib/smoke-test';

// The worker's own entry, in Node: /healthz and a keyless request reach no binding.
const local = (request: Request) => app.fetch(request, {} as Env);

describe('the smoke test npm run deploy ends with', () => {
  it('should pass against the worker', async () => {
    await expect(smokeTest('http://api.test', { fetchImpl: local, expectedVersion: pkg.version })).resolves.toEqual([]);
  });

  it('should report a deployment that runs another version', async () => {
    const problems = await smokeTest('http://api.test', { fetchImpl: local, expectedVersion: '0.0.0-other' });

    expect(problems).toEqual([expect.stringContaining('not the 0.0.0-other just deployed')]);
  });

  it('should report a server that answers 200 to everything', async () => {
    const problems = await smokeTest('http://api.test', {
      fetchImpl: async () => Response.json({ status: 'ok', version: pkg.version }),
    });

    expect(problems).toEqual([expect.stringContaining('not 401 UNAUTHORIZED in the envelope')]);
  });

  it('should report a server that cannot be reached', async () => {
    const problems = await smokeTest('http://api.test', {
      fetchImpl: async () => {
        throw new TypeError('fetch failed');
      },
    });

    expect(problems).toEqual([expect.stringContaining('/healthz failed: fetch failed'), expect.stringContaining('failed: fetch failed')]);
  });
});
