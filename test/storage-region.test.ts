import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { storageRegion } from '../src/sessions/location';
import { expectSuccess } from './support/envelope';
import { envWith } from './support/faults';
import { loginReply, registerTenant, rememberLogin, stampReply } from './support/tenants';

/** The real Durable Object namespace, recording the options every stub is asked for with. */
function recordingNamespace() {
  const options: unknown[] = [];
  const namespace = new Proxy(env.TENANT_SESSIONS, {
    get(target, property) {
      if (property === 'get') {
        return (id: DurableObjectId, getOptions?: DurableObjectNamespaceGetDurableObjectOptions) => {
          options.push(getOptions);
          return target.get(id, getOptions);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { namespace, options };
}

describe('STORAGE_REGION', () => {
  it.each([
    ['weur', 'weur'],
    ['apac', 'apac'],
    ['', undefined],
    ['europe', undefined],
    ['WEUR', undefined],
  ])('should read %j as the location hint %j', (value, expected) => {
    expect(storageRegion({ STORAGE_REGION: value })).toBe(expected);
  });

  it('should create the login and tenant objects next to D1 when the region is set', async () => {
    const { namespace, options } = recordingNamespace();
    // The generated Env types each var as the literal the config ships; a deployment sets its own.
    const bindings = { ...envWith({ TENANT_SESSIONS: namespace }), STORAGE_REGION: 'weur' } as unknown as Env;
    const tenant = await registerTenant();

    const { token } = rememberLogin(expectSuccess(await loginReply(tenant, { env: bindings })));
    expectSuccess(await stampReply(tenant, token, { env: bindings }));

    expect(options.length).toBeGreaterThanOrEqual(3);
    expect(options.every((given) => JSON.stringify(given) === '{"locationHint":"weur"}')).toBe(true);
  });

  it('should give no hint when the region is empty, as the config ships it', async () => {
    const { namespace, options } = recordingNamespace();
    const tenant = await registerTenant();

    expectSuccess(await loginReply(tenant, { env: envWith({ TENANT_SESSIONS: namespace }) }));

    expect(env.STORAGE_REGION).toBe('');
    expect(options.length).toBeGreaterThanOrEqual(2);
    expect(options.every((given) => given === undefined)).toBe(true);
  });
});
