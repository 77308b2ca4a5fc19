import { describe, expect, it } from 'vitest';
import pkg from '../package.json';
import { envWith, failingKv, faultyD1, faultyDurableObjects } from './support/faults';
import { callRaw } from './support/request';

describe('GET /healthz', () => {
  it('should answer 200 with the status and the package version, without any key', async () => {
    const reply = await callRaw('/healthz');

    expect(reply.status).toBe(200);
    expect(await reply.json()).toEqual({ status: 'ok', version: pkg.version });
  });

  it('should answer 200 while every store fails, since it calls none', async () => {
    const broken = envWith({
      DB: faultyD1({ failOn: /./ }),
      API_KEYS: failingKv(),
      TENANT_SESSIONS: faultyDurableObjects(['validateSession', 'beginLogin', 'beginChange', 'createSession']),
    });

    const reply = await callRaw('/healthz', { env: broken });

    expect(reply.status).toBe(200);
  });
});
