// Shared by `npm run test:browser` and `npm run docs:screenshot`: the real worker on loopback over a
// throwaway store, and GET /docs open in headless Debian Chromium with a fresh profile.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startLocalServer } from '../../scripts/lib/local-server.mjs';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const RENDER_TIMEOUT_MS = 30_000;

/** True for a URL that stays on this machine; data:, blob: and about: never reach a network. */
export function isLoopback(url) {
  const { protocol, hostname } = new URL(url);
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(protocol)) return true;
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * Serves the worker on 127.0.0.1:`port` and opens /docs. Every request the page makes is recorded;
 * one that would leave loopback is aborted before it is sent. close() stops the browser and the server.
 */
export async function openDocs({ port, viewport = { width: 1280, height: 800 } }) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const server = await startLocalServer({ script: 'src/index.ts', port });
  const profile = mkdtempSync(join(tmpdir(), 'storegister-chromium-'));
  let context;
  const close = async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    server.stop();
  };
  try {
    const openapi = await (await fetch(`${server.base}/openapi.json`)).json();
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport,
    });
    const requests = [];
    const pageErrors = [];
    context.on('request', (request) => requests.push(request.url()));
    await context.route('**/*', (route) => (isLoopback(route.request().url()) ? route.continue() : route.abort('blockedbyclient')));
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(RENDER_TIMEOUT_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.base}/docs`);
    return { base: server.base, openapi, page, requests, pageErrors, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Waits until the reference shows the document's title and the page has stopped loading. */
export async function waitForReference({ page, openapi }) {
  await page.getByRole('heading', { name: openapi.info.title }).first().waitFor({ state: 'visible' });
  await page.waitForLoadState('networkidle');
}
