// A typed client for the API with Hono's RPC client: hc<AppType> knows every route, its request
// body and the envelope of each status, so the compiler checks this file against the server.
//
//   npm start                                    # in one terminal
//   KEY=$(npm run -s api-key -- create --name client | tail -n 1)
//   KEY=$KEY node examples/client.ts             # BASE defaults to http://127.0.0.1:8787
//
// Node 22.18+ runs it as is (type stripping): the only runtime import is a package name.
import { hc } from 'hono/client';
import type { AppType } from '../src/app';

// Type-checked with the Workers types only (no @types/node); Node provides `process` at run time.
declare const process: { env: Record<string, string | undefined>; exitCode?: number };

/** What every failed step reports: the step, and the answer as the server sent it. */
class StepFailed extends Error {}

async function fail(step: string, response: { status: number; text(): Promise<string> }): Promise<never> {
  throw new StepFailed(`${step}: unexpected ${response.status} ${await response.text()}`);
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new StepFailed(message);
}

async function walkthrough(base: string, apiKey: string): Promise<void> {
  const api = hc<AppType>(base, { headers: { 'X-API-Key': apiKey } });
  const changePassword = api.v1.tenant.profile['change-password'];
  const userName = `client-${crypto.randomUUID()}@example.com`;
  const password = 'violet tugboat orchard';
  const newPassword = 'amber lighthouse pickle';

  const registered = await api.v1.register.$post({
    json: { userName, password, firstName: 'Jane', lastName: 'Doe' },
  });
  if (registered.status !== 201) return fail('register', registered);
  const tenantId = (await registered.json()).data;
  console.log(`register         201  tenant ${tenantId}`);

  const loggedIn = await api.v1.login.$post({ json: { userName, password } });
  if (loggedIn.status !== 200) return fail('login', loggedIn);
  const { token, expiresAt, deviceToken, authContactBookInfo } = (await loggedIn.json()).data;
  check(authContactBookInfo.id === tenantId, `login: contact ${authContactBookInfo.id} is not tenant ${tenantId}`);
  console.log(`login            200  session until ${expiresAt}`);
  const session = { headers: { 'X-Token': token } };

  // Keep the device token and present it on later logins: this client is then a known device of the
  // user, whose failed passwords nobody else's can lock out. The same token comes back.
  const again = await api.v1.login.$post({ json: { userName, password } }, { headers: { 'X-Device-Token': deviceToken } });
  if (again.status !== 200) return fail('login as a known device', again);
  const sameDevice = (await again.json()).data.deviceToken;
  check(sameDevice === deviceToken, 'login as a known device: a new device token was issued');
  console.log('login again      200  known device, same device token');

  const stamped = await changePassword.request.$get({}, session);
  if (stamped.status !== 200) return fail('request stamp', stamped);
  const stamp = (await stamped.json()).data;
  console.log(`request stamp    200  ${stamp}`);

  const changed = await changePassword.$put(
    { json: { existingPassword: password, newPassword, concurrencyStamp: stamp } },
    session,
  );
  if (changed.status !== 200) return fail('change password', changed);
  const changedId = (await changed.json()).data;
  check(changedId === tenantId, `change password: data ${changedId} is not tenant ${tenantId}`);
  console.log(`change password  200  tenant ${changedId}`);

  // Failures are typed too: each status a route documents comes with the failure envelope.
  const replayed = await changePassword.$put(
    { json: { existingPassword: password, newPassword, concurrencyStamp: stamp } },
    session,
  );
  if (replayed.status !== 409) return fail('replay the used stamp', replayed);
  const replayStatus = (await replayed.json()).status;
  check(replayStatus === 'CHANGE_PASSWORD_FAILED', `replay the used stamp: status ${replayStatus}`);
  console.log(`replay stamp     409  ${replayStatus}`);

  const loggedOut = await api.v1.logout.$post({}, session);
  if (loggedOut.status !== 200) return fail('logout', loggedOut);
  console.log(`logout           200  ${(await loggedOut.json()).status}`);
}

const base = process.env.BASE ?? 'http://127.0.0.1:8787';
const apiKey = process.env.KEY;
try {
  if (!apiKey) throw new StepFailed('Set KEY to an application key: KEY=$(npm run -s api-key -- create --name client | tail -n 1)');
  await walkthrough(base, apiKey);
  console.log('client: all steps answered as expected');
} catch (error) {
  if (!(error instanceof StepFailed) && !(error instanceof TypeError)) throw error;
  // TypeError is what fetch throws when nothing listens at BASE.
  console.error(`client: FAILED ${error.message}${error instanceof TypeError ? ` (is the server running at ${base}?)` : ''}`);
  process.exitCode = 1;
}
