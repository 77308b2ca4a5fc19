import { afterEach, beforeEach, vi } from 'vitest';

/**
 * Captures what each test of the file writes to the console, one string per call, instead of
 * printing it: `lines` is emptied before every test.
 */
export function captureConsoleLines(): string[] {
  const lines: string[] = [];
  beforeEach(() => {
    lines.length = 0;
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(' '));
      });
    }
  });
  afterEach(() => vi.restoreAllMocks());
  return lines;
}
