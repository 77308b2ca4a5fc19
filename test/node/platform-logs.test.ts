import { unstable_readConfig } from 'wrangler';
import { describe, expect, it } from 'vitest';

// Invocation logs record each request's headers (X-API-Key, X-Token, X-Device-Token) and Cloudflare
// documents no redaction of them: docs/security.md, "Platform logs".
describe('the platform logs of wrangler.toml', () => {
  const { observability } = unstable_readConfig({ config: 'wrangler.toml' });

  it("should keep Workers Logs for the app's own JSON lines", () => {
    expect(observability?.enabled).toBe(true);
    expect(observability?.logs?.enabled).toBe(true);
  });

  it('should record no invocation logs, and no traces', () => {
    expect(observability?.logs?.invocation_logs).toBe(false);
    expect(observability?.traces?.enabled ?? false).toBe(false);
  });
});
