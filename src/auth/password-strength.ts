import type { ZxcvbnFactory, ZxcvbnResult } from '@zxcvbn-ts/core';
import { PASSWORD_STRENGTH_L33T_SUBSTITUTIONS, PASSWORD_STRENGTH_WINDOW } from '../config';

let estimator: Promise<ZxcvbnFactory> | undefined;

/**
 * zxcvbn with the common password list, the English dictionaries and the keyboard layouts. The
 * lists are compressed in the bundle and ranked when zxcvbn is built (about 200 ms), so this runs
 * once per isolate on the first password checked: not at start-up, where every request would
 * wait for it, nor per request. The English word-sequence lists are left out: each list is one more
 * lookup at every position, they doubled the check's cost, and their words are in the dictionaries.
 */
async function buildEstimator(): Promise<ZxcvbnFactory> {
  const [{ ZxcvbnFactory }, common, english] = await Promise.all([
    import('@zxcvbn-ts/core'),
    import('@zxcvbn-ts/language-common'),
    import('@zxcvbn-ts/language-en'),
  ]);
  const { 'commonWords-en': commonWords, 'firstnames-en': firstNames, 'lastnames-en': lastNames, 'wikipedia-en': wikipedia } =
    english.dictionary;
  return new ZxcvbnFactory({
    dictionary: {
      ...common.dictionary,
      'commonWords-en': commonWords,
      'firstnames-en': firstNames,
      'lastnames-en': lastNames,
      'wikipedia-en': wikipedia,
    },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
    maxLength: PASSWORD_STRENGTH_WINDOW,
    l33tMaxSubstitutions: PASSWORD_STRENGTH_L33T_SUBSTITUTIONS,
  });
}

function strengthEstimator(): Promise<ZxcvbnFactory> {
  estimator ??= buildEstimator().catch((error: unknown) => {
    estimator = undefined;
    throw error;
  });
  return estimator;
}

/** zxcvbn's estimate of the password, with the tenant's own words as its personal dictionary. */
export async function estimateStrength(password: string, personalWords: string[]): Promise<ZxcvbnResult> {
  return (await strengthEstimator()).check(password, personalWords);
}
