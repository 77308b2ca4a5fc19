// The check `npm run deploy` ends with: the deployed worker answers /healthz, and refuses a request
// without a key with 401 UNAUTHORIZED in the envelope. Plain fetch, so it runs against any URL.

/** The keyless request: a route every deployment has, refused before any store is asked. */
export const KEYLESS_PATH = '/v1/tenant/profile/change-password/request';

interface Answer {
  error?: string;
  status?: number;
  body?: { status?: unknown; version?: unknown; succeeded?: unknown; data?: unknown; errors?: { code?: unknown }[] } | null;
}

/**
 * Runs the checks against `baseUrl`; returns the problems found (none when the deployment works).
 * `fetchImpl` lets a test send the requests elsewhere than the network.
 */
export async function smokeTest(
  baseUrl: string,
  { fetchImpl = fetch, expectedVersion }: { fetchImpl?: (request: Request) => Response | Promise<Response>; expectedVersion?: string } = {},
): Promise<string[]> {
  const problems: string[] = [];
  const url = (path: string) => new URL(path, baseUrl).href;
  const read = async (path: string): Promise<Answer> => {
    try {
      const response = await fetchImpl(new Request(url(path), { headers: { Accept: 'application/json' } }));
      const text = await response.text();
      let body: Answer['body'] = null;
      try {
        body = JSON.parse(text);
      } catch {
        // Judged below: a body that is not JSON is a problem of its own.
      }
      return { status: response.status, body };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  };

  const health = await read('/healthz');
  if (health.error) problems.push(`GET /healthz failed: ${health.error}`);
  else if (health.status !== 200 || health.body?.status !== 'ok') {
    problems.push(`GET /healthz answered ${health.status} ${JSON.stringify(health.body)}, not 200 {"status":"ok"}`);
  } else if (expectedVersion && health.body.version !== expectedVersion) {
    problems.push(`GET /healthz reports version ${String(health.body.version)}, not the ${expectedVersion} just deployed`);
  }

  const keyless = await read(KEYLESS_PATH);
  if (keyless.error) problems.push(`GET ${KEYLESS_PATH} failed: ${keyless.error}`);
  else {
    const { status, body } = keyless;
    const envelope = body?.succeeded === false && body.data === null && body.status === 'UNAUTHORIZED';
    if (status !== 401 || !envelope || body.errors?.[0]?.code !== 'UNAUTHORIZED') {
      problems.push(`GET ${KEYLESS_PATH} without a key answered ${status} ${JSON.stringify(body)}, not 401 UNAUTHORIZED in the envelope`);
    }
  }
  return problems;
}
