// Builds the renderer into out/renderer before any test: web mode serves that directory.
import { build } from 'vite';

export default async function globalSetup(): Promise<void> {
  // The pinned-instant matrix builds once for all its lanes.
  if (process.env.GATEHOUSE_RENDERER_BUILT === '1') return;
  const started = performance.now();
  await build({ configFile: 'renderer/vite.config.ts', logLevel: 'warn' });
  console.log(`renderer built in ${Math.round(performance.now() - started)} ms`);
}
