import { describe, expect, it } from 'vitest';
import { changeBody, freshPassphrase, registerBody, wrongPassword } from './support/builders';
import { captureConsoleLines } from './support/console-lines';
import { tenantRow, tenantState } from './support/db';
import { envWith, faultyD1 } from './support/faults';
import { IMPORTED_HASH, IMPORTED_PASSWORD } from './support/imported-hash';
import { rememberSecret } from './support/secret-watch';
import {
  callRegister,
  changePassword,
  createApiKey,
  login,
  loginReply,
  registerTenant,
  requestStamp,
  stampReply,
  type TestTenant,
} from './support/tenants';

/** What a failed write may have carried: hashes, stamps and emails bound to the statement. */
const isSecretShaped = (value: unknown, tenantId: string): value is string =>
  typeof value === 'string' &&
  (/^pbkdf2-/.test(value) ||
    /^[A-Za-z0-9+/]{40,}={0,2}$/.test(value) ||
    /@/.test(value) ||
    (/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/.test(value) && value !== tenantId));

interface Scenario {
  tenant: TestTenant;
  token?: string;
  /** Everything else the request handled that must not be logged. */
  secrets: string[];
}

/** A registered tenant, logged in, its token and its hash before the fault. */
async function loggedInTenant(): Promise<Scenario & { token: string; stamp: string }> {
  const tenant = await registerTenant();
  const token = await login(tenant);
  const stamp = await requestStamp(tenant, token);
  const oldHash = (await tenantRow(tenant.id))!.password_hash!;
  return { tenant, token, stamp, secrets: [tenant.password, oldHash, stamp] };
}

/** A failed change: the request with a fresh new password, under a D1 that fails on `failOn`. */
async function changeUnder(failOn: RegExp, existing: (tenant: TestTenant) => string, onFault: (values: unknown[]) => void) {
  const scenario = await loggedInTenant();
  const newPassword = freshPassphrase();
  const existingPassword = existing(scenario.tenant);
  await changePassword(scenario.tenant, scenario.token, changeBody(existingPassword, scenario.stamp, { newPassword }), {
    env: envWith({ DB: faultyD1({ failOn, onFault }) }),
  });
  return { ...scenario, secrets: [...scenario.secrets, newPassword, existingPassword] };
}

const WRITES: { write: string; run: (onFault: (values: unknown[]) => void) => Promise<Scenario> }[] = [
  {
    write: 'the register insert',
    run: async (onFault) => {
      const apiKey = await createApiKey();
      const body = registerBody();
      await callRegister(body, { apiKey, env: envWith({ DB: faultyD1({ failOn: /^insert into "tenants"/, onFault }) }) });
      const tenant = { id: '', apiKey, ...body } as TestTenant;
      return { tenant, secrets: [body.password as string, body.userName as string] };
    },
  },
  {
    write: 'the stamp write',
    run: async (onFault) => {
      const scenario = await loggedInTenant();
      await stampReply(scenario.tenant, scenario.token, {
        env: envWith({ DB: faultyD1({ failOn: /^update "tenants" set "concurrency_stamp"/, onFault }) }),
      });
      return scenario;
    },
  },
  {
    write: 'the change batch',
    run: (onFault) => changeUnder(/^update "tenants" set "password_hash"/, (tenant) => tenant.password, onFault),
  },
  {
    write: 'the history insert',
    run: (onFault) => changeUnder(/insert into "password_history"/, (tenant) => tenant.password, onFault),
  },
  {
    write: 'the history read',
    run: (onFault) => changeUnder(/from "password_history"/, (tenant) => tenant.password, onFault),
  },
  {
    write: 'the audit insert of a failed change',
    run: (onFault) => changeUnder(/^insert into "audit_events"/, () => wrongPassword(), onFault),
  },
  {
    write: 'the audit insert of a failed login',
    run: async (onFault) => {
      const tenant = await registerTenant();
      const wrong = wrongPassword();
      await loginReply(tenant, { password: wrong, env: envWith({ DB: faultyD1({ failOn: /^insert into "audit_events"/, onFault }) }) });
      return { tenant, secrets: [tenant.password, wrong] };
    },
  },
  {
    write: 'the hash upgrade at login',
    run: async (onFault) => {
      const tenant = await registerTenant({ password: IMPORTED_PASSWORD });
      await tenantState.setPasswordHash(tenant.id, IMPORTED_HASH);
      const reply = await loginReply(tenant, {
        env: envWith({ DB: faultyD1({ failOn: /^update "tenants" set "password_hash" = \?/, onFault }) }),
      });
      const token = reply.body.data?.token;
      return { tenant, secrets: [IMPORTED_PASSWORD, IMPORTED_HASH, ...(token ? [rememberSecret(token)] : [])] };
    },
  },
];

describe('logs of failed writes', () => {
  const lines = captureConsoleLines();

  it.each(WRITES)(
    'should describe a failure of $write without any bound value, password, hash, stamp, token or key',
    async ({ run }) => {
      const bound: unknown[] = [];
      const scenario = await run((values) => {
        bound.push(...values);
      });

      expect(bound.length, 'the fault was injected').toBeGreaterThan(0);
      const output = lines.join('\n');
      expect(output, 'the failure was logged').toContain('injected at');
      const boundSecrets = bound.filter((value) => isSecretShaped(value, scenario.tenant.id));
      const secrets = [
        ...scenario.secrets,
        ...boundSecrets,
        scenario.tenant.apiKey,
        ...(scenario.token ? [scenario.token, scenario.token.split('.')[2]] : []),
      ];
      for (const secret of secrets) expect(output).not.toContain(secret);
      expect(output).not.toContain('params:');
    },
  );
});
