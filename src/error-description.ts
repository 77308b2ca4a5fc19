/** Longest message kept for one error of a chain; the start says what failed, the rest is detail. */
const MAX_MESSAGE_CHARS = 160;
/** Causes followed below the error itself. */
const MAX_CAUSES = 3;

/**
 * A message cut down to what may be logged. Drizzle's query errors end in `params: <every bound
 * value>` (hashes, stamps, names, emails), so everything from `params:` on goes; quoted SQL
 * literals go too, in case a statement or a driver message inlines a value.
 */
export function loggableMessage(message: string): string {
  const withoutParams = message.split(/\bparams:/)[0];
  const withoutLiterals = withoutParams.replace(/'(?:[^']|'')*'?/g, "'…'");
  const oneLine = withoutLiterals.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_MESSAGE_CHARS ? `${oneLine.slice(0, MAX_MESSAGE_CHARS)}…` : oneLine;
}

function describeOne(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${loggableMessage(error.message)}`;
  // A thrown non-error may be anything the code had in hand: only its type is safe to log.
  return `thrown ${typeof error}`;
}

/**
 * What a log line may say about an error: its name and a cut-down message, then the same for each
 * cause (`←`), never a query's parameters, a stack or request data.
 */
export function describeError(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  const parts = [describeOne(error)];
  let cause = error instanceof Error ? error.cause : undefined;
  while (cause !== undefined && parts.length <= MAX_CAUSES) {
    parts.push(describeOne(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return parts.join(' ← ');
}
