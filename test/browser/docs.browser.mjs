// npm run test:browser: opens GET /docs in headless Chromium and checks, as a reader would, that the
// API reference shows every route (picked in the sidebar, then on screen with its method and path)
// and that the page asked nothing of any host beyond loopback. Exits 1 on any failure.
import { isLoopback, openDocs, waitForReference } from './docs-page.mjs';

const PORT = Number(process.env.DOCS_PORT ?? 8796);
const ROUTE_TIMEOUT_MS = 10_000;

// The contract's routes; any other route that /openapi.json documents is checked as well.
const CONTRACT_ROUTES = [
  'POST /v1/register',
  'POST /v1/login',
  'POST /v1/logout',
  'GET /v1/tenant/profile/change-password/request',
  'PUT /v1/tenant/profile/change-password',
];
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

function documentedRoutes(openapi) {
  return Object.entries(openapi.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((method) => HTTP_METHODS.includes(method))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

async function isOnScreen(page, locator) {
  const box = await locator.boundingBox();
  const { height } = page.viewportSize();
  return box !== null && box.height > 0 && box.y >= 0 && box.y + box.height <= height && (await locator.isVisible());
}

async function expectRouteShown({ page, openapi }, route) {
  const [method, path] = route.split(' ');
  const summary = openapi.paths[path]?.[method.toLowerCase()]?.summary;
  if (!summary) throw new Error('not documented in /openapi.json, or without a summary');

  const entry = page.getByRole('complementary').getByText(summary, { exact: true }).first();
  if (!(await entry.isVisible())) throw new Error(`"${summary}" is not in the sidebar`);
  await entry.click();

  // On screen: the path as its own text, next to the method (as in the request example's header).
  const methodWord = new RegExp(`\\b${method}\\b`, 'i');
  const deadline = Date.now() + ROUTE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    for (const candidate of await page.getByText(path, { exact: true }).all()) {
      if ((await isOnScreen(page, candidate)) && methodWord.test((await candidate.locator('..').textContent()) ?? '')) return;
    }
    await page.waitForTimeout(200);
  }
  throw new Error(`after picking "${summary}" in the sidebar, "${route}" is not on screen`);
}

const results = [];
async function check(name, run) {
  try {
    await run();
    results.push(true);
    console.log(`ok    ${name}`);
  } catch (error) {
    results.push(false);
    console.log(`FAIL  ${name}: ${error.message}`);
  }
}

const docs = await openDocs({ port: PORT });
try {
  await check('/docs renders the API reference', () => waitForReference(docs));
  const routes = [...new Set([...CONTRACT_ROUTES, ...documentedRoutes(docs.openapi)])];
  for (const route of routes) await check(`/docs shows ${route}`, () => expectRouteShown(docs, route));

  await check('/docs requested nothing beyond loopback', async () => {
    const outside = docs.requests.filter((url) => !isLoopback(url));
    if (outside.length > 0) throw new Error(outside.join(', '));
    if (!docs.requests.some((url) => new URL(url).pathname === '/scalar/standalone.js')) {
      throw new Error('the Scalar bundle was not loaded from this server');
    }
  });
  await check('/docs raised no script error', async () => {
    if (docs.pageErrors.length > 0) throw new Error(docs.pageErrors.join(' | '));
  });
} finally {
  await docs.close();
}

const passed = results.filter(Boolean).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
if (failed > 0 || passed === 0) process.exitCode = 1;
