// Types of wrangler.mjs for the TypeScript tests that run wrangler (test/node/).
export const WRANGLER_BIN: string;
export function wrangler(args: string[], options?: { capture?: boolean; input?: string }): { status: number; stdout: string };
export function fail(message: string): never;
export function parseJsonOutput(text: string): unknown;
