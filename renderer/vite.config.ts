// The renderer's build: Svelte 5 + Vite, rooted here, written to ../out/renderer. A relative base
// so the same files load from Electron's custom protocol and from web mode's host; no inline
// scripts (the CSP is `script-src 'self'`).
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  plugins: [svelte()],
  build: {
    outDir: '../out/renderer',
    emptyOutDir: true,
    target: 'es2022',
    // Never inline assets as data: URLs for scripts; keep every module a file the CSP allows.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    reportCompressedSize: false,
    rolldownOptions: {
      output: {
        codeSplitting: {
          // The first screen (the inbox) runs no schema and no policy rule: zod and the schemas
          // built with it, and the CEL compiler, are chunks of their own that only the screens
          // needing them load — the bundler would otherwise merge them into the chunk every
          // screen shares, and the first paint would build every schema before it starts.
          groups: [
            {
              name: 'schemas',
              test: /node_modules[\\/]zod[\\/]|shared[\\/]schemas[\\/](index|domain|api|notify|github)\.ts|shared[\\/]desktop[\\/]settings\.ts/,
              priority: 2,
              includeDependenciesRecursively: false,
            },
            { name: 'cel', test: /node_modules[\\/]@marcbachmann[\\/]cel-js[\\/]/, priority: 2 },
          ],
        },
      },
    },
  },
  server: { port: 5174, strictPort: false },
});
