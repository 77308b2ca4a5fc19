// The Worker secrets `npm run deploy` manages: which to ask for, and reading them from a prompt or
// standard input, never from the command line or the environment (both end up in shell history,
// `ps` or CI logs). Add a secret by adding an entry to WORKER_SECRETS.

export interface WorkerSecret {
  name: string;
  /** What it is, as the prompt shows it. */
  what: string;
  /** The flag that deploys without it; without the flag, a deploy refuses to run while the Worker lacks it. */
  optOut?: string;
  /** The flag that replaces it, keeping the value it replaces under `previous` for a while. */
  rotate?: { flag: string; previous: string };
  minLength: number;
}

export const WORKER_SECRETS: WorkerSecret[] = [
  {
    name: 'PASSWORD_PEPPER',
    what: 'password pepper: the HMAC key applied before PBKDF2 (docs/passwords.md)',
    optOut: '--no-pepper',
    rotate: { flag: '--rotate-pepper', previous: 'PASSWORD_PEPPER_PREVIOUS' },
    minLength: 32,
  },
  {
    name: 'TOKEN_SIGNING_KEY',
    what: 'token signing key: the HMAC key that makes session and device tokens the service\'s own (docs/security.md#forged-credentials)',
    rotate: { flag: '--rotate-token-key', previous: 'TOKEN_SIGNING_KEY_PREVIOUS' },
    minLength: 32,
  },
];

/** One value to read: the secret it becomes, and the question asked for it. */
export interface Question {
  name: string;
  prompt: string;
  minLength: number;
}

export interface SecretPlan {
  questions: Question[];
  /** Why the deploy cannot go on (a required secret missing and no way to ask for it). */
  problems: string[];
  notes: string[];
}

/** Every name a secret can be set under (current and previous values): none may come from the environment. */
export const secretNames = (secrets: WorkerSecret[] = WORKER_SECRETS) =>
  secrets.flatMap((secret) => [secret.name, ...(secret.rotate ? [secret.rotate.previous] : [])]);

/**
 * Which secrets to ask for, given the names the Worker already has (`existing`, from
 * `wrangler secret list`) and the command line's flags.
 */
export function planSecrets(existing: Set<string>, flags: Set<string>, secrets: WorkerSecret[] = WORKER_SECRETS): SecretPlan {
  const plan: SecretPlan = { questions: [], problems: [], notes: [] };
  for (const secret of secrets) {
    const rotating = secret.rotate !== undefined && flags.has(secret.rotate.flag);
    if (secret.optOut && flags.has(secret.optOut)) {
      if (rotating) plan.problems.push(`${secret.optOut} and ${secret.rotate!.flag} contradict each other.`);
      else plan.notes.push(`${secret.name}: not set (${secret.optOut}).${existing.has(secret.name) ? ' The Worker keeps the one it has.' : ''}`);
      continue;
    }
    if (rotating) {
      if (!existing.has(secret.name)) {
        plan.problems.push(`${secret.rotate!.flag}: the Worker has no ${secret.name} to rotate. Deploy without the flag to set one.`);
        continue;
      }
      plan.questions.push({ name: secret.name, prompt: `New ${secret.what}`, minLength: secret.minLength });
      plan.questions.push({
        name: secret.rotate!.previous,
        prompt: `The ${secret.name} deployed until now, kept as ${secret.rotate!.previous}`,
        minLength: secret.minLength,
      });
      continue;
    }
    if (existing.has(secret.name)) {
      plan.notes.push(`${secret.name}: the Worker has it; kept.`);
      continue;
    }
    plan.questions.push({ name: secret.name, prompt: secret.what, minLength: secret.minLength });
  }
  return plan;
}

/** Checks the values read for `questions`; returns the problems, naming secrets, never showing a value. */
export function checkAnswers(questions: Question[], values: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const question of questions) {
    const value = values[question.name] ?? '';
    if (value.length === 0) problems.push(`${question.name} was not given.`);
    else if (value.length < question.minLength) problems.push(`${question.name} is shorter than ${question.minLength} characters.`);
  }
  const given = questions.map((question) => values[question.name]).filter(Boolean);
  if (new Set(given).size !== given.length) problems.push('Two of the secrets given are equal: a rotation needs a new value.');
  return problems;
}

/** Reads one answer per question, one line each, from a piped standard input. */
export function answersFromText(questions: Question[], text: string): Record<string, string> {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  return Object.fromEntries(questions.map((question, i) => [question.name, lines[i] ?? '']));
}

/** Reads a line from a terminal without echoing it. */
function readHidden(prompt: string, stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    stderr.write(`${prompt}: `);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new Error('Interrupted.'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
}

/** The answers: typed at a hidden prompt when standard input is a terminal, else one line each from it. */
export async function readAnswers(questions: Question[], stdin = process.stdin, stderr = process.stderr): Promise<Record<string, string>> {
  if (questions.length === 0) return {};
  if (!stdin.isTTY) {
    let text = '';
    for await (const chunk of stdin) text += chunk;
    return answersFromText(questions, text);
  }
  const values: Record<string, string> = {};
  for (const question of questions) values[question.name] = await readHidden(`${question.prompt} (${question.name}, not echoed)`, stdin, stderr);
  return values;
}
