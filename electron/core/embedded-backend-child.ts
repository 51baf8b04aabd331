// The embedded demo backend as a child process of the system's Node. Imports only the server's
// light entry (server/constants.ts), so Electron's main bundle stays free of the server.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { DB_FILE, DEMO_RELEASE_MANAGER_EMAIL } from '../../server/constants.ts';

export interface EmbeddedBackend {
  url: string;
  token: string;
  close(): Promise<void>;
}

export const TOKEN_FILE = 'release-manager.token';

/**
 * The same backend as a child process of the system's Node (`npm start` during development):
 * Electron's own Node can't load a better-sqlite3 built for plain Node, and the tests need that
 * build. Packaged apps sign in to a real server instead.
 */
export async function spawnEmbeddedBackend(dataDir: string, options: { node: string; root: string; log?: (line: string) => void }): Promise<EmbeddedBackend> {
  const log = options.log ?? (() => undefined);
  const dir = join(dataDir, 'backend');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tokenFile = join(dir, TOKEN_FILE);
  const cli = ['--import', 'tsx', join(options.root, 'server', 'cli.ts')];
  const run = (args: string[], onLine: (line: string) => boolean) =>
    new Promise<ChildProcess>((resolveRun, reject) => {
      const child = spawn(options.node, [...cli, ...args], { cwd: options.root, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stderr!.on('data', (d: Buffer) => log(`backend: ${d.toString().trimEnd()}`));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (onLine(line)) resolveRun(child);
      });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolveRun(child) : reject(new Error(`gatehouse ${args[0]} exited with ${code}`))));
    });
  if (!existsSync(join(dir, DB_FILE))) {
    log(`creating the demo organisation in ${dir}`);
    let token: string | undefined;
    const child = await run(['demo', '--data', dir], (line) => {
      const [email, , t] = line.split(' ');
      if (email === DEMO_RELEASE_MANAGER_EMAIL) token = t;
      return false;
    });
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    if (!token) throw new Error("the demo did not print the release manager's token");
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  }
  const token = readFileSync(tokenFile, 'utf8').trim();
  let url = '';
  const server = await run(['serve', '--data', dir, '--port', '0', '--log-level', 'warn'], (line) => {
    const m = /^listening on (http:\/\/\S+)$/.exec(line);
    if (m) url = m[1]!;
    return m !== null;
  });
  log(`embedded backend listening on ${url}`);
  return {
    url,
    token,
    close: () =>
      new Promise<void>((done) => {
        if (server.exitCode !== null) return done();
        server.once('exit', () => done());
        server.kill('SIGTERM');
      }),
  };
}
