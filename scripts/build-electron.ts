// Builds Electron's main process (and the cache's encode worker beside it) and preload from TypeScript into out/: main as ESM with npm
// packages left external (electron-builder ships production node_modules), the preload as one
// CommonJS file, because a sandboxed preload can require nothing but 'electron'.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node' as const, target: 'node22', sourcemap: true, logLevel: 'info' as const };

await Promise.all([
  build({ ...common, entryPoints: ['electron/main.ts'], outfile: 'out/main/main.js', format: 'esm', packages: 'external' }),
  // The cache's request encoder runs on a worker thread; it finds this file beside main.js.
  build({ ...common, entryPoints: ['electron/core/cache/encode-worker.ts'], outfile: 'out/main/encode-worker.js', format: 'esm', packages: 'external' }),
  build({ ...common, entryPoints: ['electron/preload.ts'], outfile: 'out/preload/preload.cjs', format: 'cjs', external: ['electron'] }),
]);
