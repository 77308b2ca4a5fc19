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

/**
 * From now on every PBKDF2 derivation of this isolate (the worker's and its objects' included) runs
 * `iterations` iterations instead of the count it asks for, which the limit above still sees and
 * checks. The same input still gives the same key, so stored hashes verify as before; only the cost
 * changes. For long model runs (npm run test:adversarial), whose subject is budgets and races, not
 * the derivation: the cost of a derivation only widens the windows in which requests overlap.
 */
export function cheapenDerivations(iterations: number): void {
  const subtle = crypto.subtle;
  const checked = subtle.deriveBits.bind(subtle);
  subtle.deriveBits = async (algorithm, baseKey, length) => {
    if (typeof algorithm === 'object' && algorithm.name === 'PBKDF2') {
      const asked = Number((algorithm as { iterations?: number }).iterations);
      // Asked for more than production allows: let the limit refuse it, at the count asked.
      if (asked <= PBKDF2_MAX_ITERATIONS) return checked({ ...(algorithm as SubtleCryptoDeriveKeyAlgorithm), iterations }, baseKey, length);
    }
    return checked(algorithm, baseKey, length);
  };
}
