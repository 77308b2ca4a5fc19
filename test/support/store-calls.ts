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
