/**
 * Where new Durable Objects are created. An object stays where it is first created, so one made by
 * a worker at an edge far from D1 would make every later call from a placed worker cross the
 * distance. STORAGE_REGION names D1's region (the `--location` it was created with); "" lets
 * Cloudflare choose, near the worker that first asks.
 */
const LOCATION_HINTS = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me'] as const;

export type StorageRegion = (typeof LOCATION_HINTS)[number];

/** The configured region, or undefined when it is empty or not one Cloudflare knows. */
export function storageRegion(env: object): StorageRegion | undefined {
  const value = (env as Record<string, unknown>).STORAGE_REGION;
  return LOCATION_HINTS.find((hint) => hint === value);
}

/** The options to get a Durable Object stub with: the region as a location hint, when configured. */
export function stubOptions(env: object): DurableObjectNamespaceGetDurableObjectOptions | undefined {
  const locationHint = storageRegion(env);
  return locationHint ? { locationHint } : undefined;
}
