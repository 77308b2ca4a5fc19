// The layers of src/, top to bottom, and the one rule between them: an import may point down or
// sideways within its layer, never up. `npm run lint:layers` checks it (CI runs it); type-only
// imports count like any other. See docs/architecture.md "Layers".
const LAYERS = [
  // Entry: the worker's handlers, the Hono app, and the composition root that builds each workflow's Deps.
  { name: 'entry', path: '^src/(index|app|wiring)\\.ts$' },
  // One sub-app per resource: the contract of each route and a handler of a few lines.
  { name: 'routes', path: '^src/routes/' },
  // HTTP plumbing the routes share: request context, key and session middleware, validation, OpenAPI.
  { name: 'http', path: '^src/http/' },
  // The tenant workflows (register, login, stamp, change, logout); they reach storage only through Deps.
  { name: 'workflows', path: '^src/tenants/' },
  // Domain: passwords, keys, tokens and attempts; the Durable Object; webhook events and delivery.
  { name: 'domain', path: '^src/(auth|sessions|events)/' },
  // D1 through drizzle: the schema and every query.
  { name: 'storage', path: '^src/db/' },
  // What every layer may use: settings, error codes and the envelope, logging, the request and event schemas.
  { name: 'base', path: '^src/(config|errors|error-codes|error-description|logging|schemas|security-events)\\.ts$' },
];

const TESTS = '\\.test\\.ts$';

const climbing = LAYERS.slice(1).map((layer, index) => ({
  name: `no-climb-from-${layer.name}`,
  comment: `${layer.name} may not import ${LAYERS.slice(0, index + 1)
    .map((above) => above.name)
    .join(', ')}: imports point down the layers.`,
  severity: 'error',
  from: { path: layer.path, pathNot: TESTS },
  to: { path: LAYERS.slice(0, index + 1).map((above) => above.path) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'every-file-in-a-layer',
      comment: 'A module of src/ outside every layer: add it to a layer in .dependency-cruiser.cjs.',
      severity: 'error',
      from: { path: '^src/', pathNot: [...LAYERS.map((layer) => layer.path), TESTS] },
      to: {},
    },
    {
      name: 'no-import-of-unlayered',
      comment: 'An import of a module of src/ outside every layer: add it to a layer in .dependency-cruiser.cjs.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: [...LAYERS.map((layer) => layer.path), TESTS] },
    },
    ...climbing,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
