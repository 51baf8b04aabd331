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
  },
  server: { port: 5174, strictPort: false },
});
