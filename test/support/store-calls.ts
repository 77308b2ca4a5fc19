import { env } from 'cloudflare:workers';
import { aroundStoreCalls } from '../../bench/distance';

/** `bindings` (the real ones by default), and every D1 and Durable Object call made through them, in order (`store:name`). */
export function recordingStoreCalls(bindings: Env = env) {
  const calls: string[] = [];
  const recorded = aroundStoreCalls(bindings, (call, run) => {
    calls.push(call.store === 'd1' ? `d1:${call.name.split(' ')[0]}` : `durableObject:${call.name}`);
    return run();
  });
  return { bindings: recorded, calls };
}

/**
 * `bindings` (the real ones by default) with the number of sequential store calls of what runs
 * through them: a call's round is one more than the deepest round among the calls that had ended
 * when it started; calls started together share a round. Ordering only, no clock: the depth of a
 * request's chain of waits, which `npm run bench` measures as added latency.
 */
export function storeCallRounds(bindings: Env = env) {
  const ended: number[] = [];
  let deepest = 0;
  const names: string[][] = [];
  const recorded = aroundStoreCalls(bindings, async (call, run) => {
    const round = 1 + Math.max(0, ...ended);
    deepest = Math.max(deepest, round);
    (names[round - 1] ??= []).push(call.store === 'd1' ? `d1:${call.name.split(' ')[0]}` : `durableObject:${call.name}`);
    try {
      return await run();
    } finally {
      ended.push(round);
    }
  });
  return { bindings: recorded, rounds: () => deepest, byRound: () => names.map((round) => round.toSorted()) };
}
