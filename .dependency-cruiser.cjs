/**
 * The house rules, checked by `npm run build` (npm run lint:deps) and CI. Each rule says why.
 * Packages: contract ← device-profiles, firmware-bridges ← gateway; contract, device-profiles ← cloud (profile
 * names, units and ranges); cli and test-rigs compose the others. Test support lives in test-rigs/ and in test folders, never in a production src/.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'gateway-not-cloud',
      comment: 'An edge box carries no web framework or database driver: gateway and cloud meet only in contract.',
      severity: 'error',
      from: { path: '^gateway/' },
      to: { path: '^cloud/' },
    },
    {
      name: 'cloud-not-gateway',
      comment: 'The cloud must not depend on the edge agent: what both need (messages, schemas) lives in contract.',
      severity: 'error',
      from: { path: '^cloud/src/' },
      to: { path: '^gateway/' },
    },
    {
      name: 'libraries-only-contract',
      comment: 'device-profiles and firmware-bridges are libraries: they depend on contract and npm packages only.',
      severity: 'error',
      from: { path: '^(device-profiles|firmware-bridges)/src/' },
      to: { path: '^(gateway|cloud|cli|test-rigs)/' },
    },
    {
      name: 'contract-is-the-leaf',
      comment: 'contract is what everyone shares; it imports no other package of ours.',
      severity: 'error',
      from: { path: '^contract/src/' },
      to: { path: '^(gateway|cloud|cli|test-rigs|device-profiles|firmware-bridges)/' },
    },
    {
      name: 'drivers-not-journal-or-uplink',
      comment: 'Data flows one way: field drivers produce readings and know nothing of the journal or the uplink.',
      severity: 'error',
      from: { path: '^gateway/src/field/' },
      to: { path: '^gateway/src/(journal|uplink)/' },
    },
    {
      name: 'production-not-test-support',
      comment: 'Production code never imports test-rigs or a test helper (only the cli composes the demo plant).',
      severity: 'error',
      from: { path: '^(contract|device-profiles|firmware-bridges|gateway|cloud)/src/', pathNot: '\\.test\\.ts$' },
      to: { path: ['^test-rigs/', '(^|/)test/', '\\.test\\.ts$'] },
    },
    {
      name: 'cli-not-test-helpers',
      comment: 'The cli may start the simulated plant (test-rigs/src) but never a test file or test folder helper.',
      severity: 'error',
      from: { path: '^cli/src/', pathNot: '\\.test\\.ts$' },
      to: { path: ['(^|/)test/', '\\.test\\.ts$'] },
    },
    {
      name: 'store-not-http',
      comment: 'The cloud store is below the API: it never imports api or http.',
      severity: 'error',
      from: { path: '^cloud/src/store/' },
      to: { path: '^cloud/src/(api|http)/' },
    },
    {
      name: 'no-cycles',
      comment: 'A cycle between modules means neither can change alone; cut it with a smaller shared module. (A type-only import back to a schema that infers the types is not a cycle at run time and is allowed.)',
      severity: 'error',
      from: { path: '^[a-z-]+/src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|vendor)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.json'] },
    combinedDependencies: false,
  },
};
