// npm run smoke -- <URL>: the check `npm run deploy` ends with, against any deployment (scripts/lib/smoke-test.ts).
import { smokeTest } from './lib/smoke-test.ts';
import { fail } from './lib/wrangler.mjs';

const url = process.argv[2];
if (!url || !URL.canParse(url)) fail('usage: npm run smoke -- <URL of a deployment, e.g. https://storegister-tenant-password-api.example.workers.dev>');
const problems = await smokeTest(url);
if (problems.length > 0) fail(`Smoke test of ${url} failed:\n  ${problems.join('\n  ')}`);
console.log(`Smoke test of ${url} passed: /healthz answers, and a request without a key answers 401 in the envelope.`);
