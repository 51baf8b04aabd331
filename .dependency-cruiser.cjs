// The layers, enforced (npm run lint:deps): shared/ stands alone; the renderer sees only shared/;
// the desktop core never loads Electron and reaches the server only through server/index.ts; the
// server knows nothing of the desktop; nothing imports in a circle. test/lint/ proves each rule
// fails on a deliberate violation.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle makes load order matter and layers meaningless.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-stands-alone',
      severity: 'error',
      comment: 'shared/ (schemas, policy engine, IPC contract) runs unchanged on the server, in the core and in the renderer.',
      from: { path: '^shared/' },
      to: { path: '^(server|electron|renderer|bench|scripts)/|^test/(?!data/)' },
    },
    {
      name: 'shared-reads-test-data-only-in-tests',
      severity: 'error',
      comment: "shared/'s own tests may read the real-world inputs in test/data/; its code never does.",
      from: { path: '^shared/', pathNot: '\\.test\\.ts$' },
      to: { path: '^test/' },
    },
    {
      name: 'renderer-sees-only-shared',
      severity: 'error',
      comment: 'The renderer talks to the core through the IPC contract only.',
      from: { path: '^renderer/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(server|electron|test|bench|scripts)/' },
    },
    {
      name: 'core-never-loads-electron',
      severity: 'error',
      comment: "electron/core/ is plain Node, tested without Electron's binary; only main.ts and preload.ts load electron.",
      from: { path: '^electron/core/' },
      to: { path: '(^|/)node_modules/electron/' },
    },
    {
      name: 'desktop-reaches-server-through-its-index',
      severity: 'error',
      comment:
        'The desktop (core, web mode) uses the server only through server/index.ts, its one public entry (server/constants.ts for what the Electron bundle may load).',
      from: { path: '^electron/' },
      to: { path: '^server/', pathNot: '^server/(index|constants)\\.ts$' },
    },
    {
      name: 'server-knows-no-desktop',
      severity: 'error',
      comment: 'The backend runs without the desktop app.',
      from: { path: '^server/' },
      to: { path: '^(electron|renderer)/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing fails at run time.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(out|test-results)/|^test/lint/fixtures/' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.svelte', '.json'],
    },
  },
};
