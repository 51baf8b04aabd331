// Builds the renderer into out/renderer before any test: web mode serves that directory.
import { build } from 'vite';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  await build({ configFile: 'renderer/vite.config.ts', logLevel: 'warn' });
  console.log(`renderer built in ${Date.now() - started} ms`);
}
