// Builds the renderer into out/renderer before any test: web mode serves that directory.
import { build } from 'vite';

export default async function globalSetup(): Promise<void> {
  const started = performance.now();
  await build({ configFile: 'renderer/vite.config.ts', logLevel: 'warn' });
  console.log(`renderer built in ${performance.now() - started} ms`);
}
