import { PBKDF2_MAX_ITERATIONS } from '../../src/config';

/** Every PBKDF2 iteration count asked for in this test file, in order. */
export const pbkdf2Iterations: number[] = [];

/**
 * Makes `crypto.subtle.deriveBits` behave like Cloudflare production, which refuses PBKDF2 above
 * 100,000 iterations (local workerd does not), so any derivation asking for more fails the suite.
 */
export function installProductionPbkdf2Limit(): void {
  const subtle = crypto.subtle;
  const original = subtle.deriveBits.bind(subtle);
  subtle.deriveBits = async (algorithm, baseKey, length) => {
    if (typeof algorithm === 'object' && algorithm.name === 'PBKDF2') {
      const iterations = Number((algorithm as { iterations?: number }).iterations);
      pbkdf2Iterations.push(iterations);
      if (iterations > PBKDF2_MAX_ITERATIONS) {
        throw new DOMException(
          `PBKDF2 iteration counts above ${PBKDF2_MAX_ITERATIONS} are not supported (requested ${iterations}).`,
          'NotSupportedError',
        );
      }
    }
    return original(algorithm, baseKey, length);
  };
}

/** Runs `action` and returns the iteration count of each PBKDF2 derivation it asked for. */
export async function derivationsDuring(action: () => Promise<unknown>): Promise<number[]> {
  const before = pbkdf2Iterations.length;
  await action();
  return pbkdf2Iterations.slice(before);
}
