// Imports point one way only. Packages: core <- verify/client <- server.
// Inside the server: http/cli -> endpoints -> services -> store. Unit tests beside the
// code may wire layers together.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-stands-alone',
      comment: 'core holds protocol primitives and depends on no other Tessera package',
      severity: 'error',
      from: { path: '^packages/core/' },
      to: { path: '^packages/(verify|client|server)/|@tessera/(verify|client|server)' },
    },
    {
      name: 'verify-and-client-do-not-use-server',
      severity: 'error',
      from: { path: '^packages/(verify|client)/' },
      to: { path: '^packages/server/|@tessera/server' },
    },
    {
      name: 'verify-and-client-are-siblings',
      severity: 'error',
      from: { path: '^packages/verify/' },
      to: { path: '^packages/client/|@tessera/client' },
    },
    {
      name: 'client-and-verify-are-siblings',
      severity: 'error',
      from: { path: '^packages/client/' },
      to: { path: '^packages/verify/|@tessera/verify' },
    },
    {
      name: 'store-is-the-bottom-layer',
      comment: 'the store knows nothing of services, endpoints, HTTP or the CLI',
      severity: 'error',
      from: { path: '^packages/server/src/store/', pathNot: '\\.test\\.ts$' },
      to: { path: '^packages/server/src/(services|endpoints|http|cli|gateway|app)/' },
    },
    {
      name: 'services-know-nothing-of-http',
      severity: 'error',
      from: { path: '^packages/server/src/services/', pathNot: '\\.test\\.ts$' },
      to: { path: '^packages/server/src/(endpoints|http|cli|gateway|app)/' },
    },
    {
      name: 'endpoints-do-not-reach-up',
      severity: 'error',
      from: { path: '^packages/server/src/endpoints/', pathNot: '\\.test\\.ts$' },
      to: { path: '^packages/server/src/(http|cli|gateway|app)/' },
    },
    {
      name: 'routes-go-through-endpoints',
      comment: 'HTTP routes translate HTTP and call endpoints, never the store directly',
      severity: 'error',
      from: { path: '^packages/server/src/http/', pathNot: '\\.test\\.ts$' },
      to: { path: '^packages/server/src/store/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'tests-are-not-imported',
      severity: 'error',
      from: { pathNot: '\\.test\\.ts$|/test/' },
      to: { path: '\\.test\\.ts$|/test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '/dist/' },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['tessera-source', 'import', 'default'],
    },
    tsConfig: { fileName: 'tsconfig.base.json' },
  },
};
