// `npm start` after the build: launches Electron on the app, after checking on Linux that
// Chromium's sandbox can start (electron/core/shell/sandbox.ts): where user namespaces are
// restricted and chrome-sandbox isn't set up, Electron would abort with a bare FATAL line, so this
// says what to run instead. `npm start -- --no-sandbox` launches anyway (development only).
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { readSandboxFacts, sandboxAdvice } from '../electron/core/shell/sandbox.ts';

const args = process.argv.slice(2);
let electron: string;
try {
  // In plain Node, the electron package exports the path of its binary.
  electron = createRequire(import.meta.url)('electron') as string;
} catch (e) {
  console.error(`Electron's binary is not installed (${e instanceof Error ? e.message : String(e)}).`);
  console.error('Install it with internet access (npm install without ELECTRON_SKIP_BINARY_DOWNLOAD), or use web mode: npm run -s web');
  process.exit(1);
}

const helper = join(dirname(electron), 'chrome-sandbox');
const facts = readSandboxFacts(process.platform, helper, {
  read: (p) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
  stat: (p) => {
    try {
      return statSync(p);
    } catch {
      return undefined;
    }
  },
});
const advice = sandboxAdvice(facts, relative(process.cwd(), helper));
if (advice && !args.includes('--no-sandbox')) {
  console.error(advice);
  process.exit(1);
}

const child = spawn(electron, ['.', ...args], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
