// The distance phase of `npm run bench`: how many sequential calls each route makes to its central
// stores (D1 and the Durable Objects), measured by putting them far away. bench/worker.ts delays
// every such call of a request that carries X-Bench-Distance-Ms; a route's added latency divided by
// the delay is its number of sequential calls. Calls made concurrently overlap and count once, and
// work left to waitUntil after the answer does not count at all, as for a distant client.
import { summarize } from '../scripts/lib/local-server.mjs';

export const DISTANCE_HEADER = 'X-Bench-Distance-Ms';
export const STORE_CALLS_HEADER = 'X-Bench-Store-Calls';

/** "d1,durableObject" as bench/worker.ts reports them, or null when the answer did not say. */
export function parseStoreCalls(header) {
  const match = /^(\d+),(\d+)$/.exec(header ?? '');
  return match ? { d1: Number(match[1]), durable_object: Number(match[2]) } : null;
}

/**
 * Runs every probe `rounds` times near (delay 0) and far (`delayMs`), interleaved so that drift in
 * the machine's load affects both alike. `probe(distanceMs)` returns `{ ms, storeCalls }`.
 * Returns per probe the sequential calls, (p50 far − p50 near) / delay, and the store calls counted.
 */
export async function measureRoundTrips(probes, { delayMs, rounds, deadline }) {
  const near = Object.fromEntries(Object.keys(probes).map((name) => [name, []]));
  const far = Object.fromEntries(Object.keys(probes).map((name) => [name, []]));
  const calls = {};
  for (let round = 0; round < rounds && Date.now() < deadline; round++) {
    for (const [name, probe] of Object.entries(probes)) {
      near[name].push((await probe(0)).ms);
      const distant = await probe(delayMs);
      far[name].push(distant.ms);
      calls[name] = distant.storeCalls;
    }
  }
  return Object.fromEntries(
    Object.keys(probes).map((name) => {
      const [nearP50, farP50] = [summarize(near[name]).p50, summarize(far[name]).p50];
      return [name, { sequential: (farP50 - nearP50) / delayMs, near_p50: nearP50, far_p50: farP50, store_calls: calls[name] }];
    }),
  );
}
