// For the specs that need the backend apart from web mode (stop it, start it again; sign in as a
// user other than the release manager): `gatehouse demo` into a temp dir, `gatehouse serve` on it,
// and web mode started with `--server URL` against it, its token in GATEHOUSE_TOKEN. The fixtures.ts `app` fixture
// keeps the embedded backend in-process, which a test cannot stop on its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatehouseCli } from '../commands.ts';

const START_TIMEOUT_MS = 30_000;

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<void>;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const [script, ...rest] = args;
  const node = script === 'server/cli.ts' ? [...gatehouseCli(), ...rest] : ['--import', 'tsx', ...args];
  // detached: its own process group, so whatever it starts is stopped with it.
  const child = spawn(process.execPath, node, {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, NODE_ENV: 'test', ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitFor(p: Proc, re: RegExp, what: string): Promise<RegExpExecArray> {
  const started = performance.now();
  for (;;) {
    const m = re.exec(p.stdout());
    if (m) return m;
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`${what} exited before printing ${re}\n${p.stderr()}`);
    if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`${what} did not print ${re} within ${START_TIMEOUT_MS} ms\n${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p) return;
  if (p.child.exitCode === null && p.child.signalCode === null) {
    try {
      process.kill(-p.child.pid!, signal);
    } catch {
      // gone already
    }
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000).unref());
    if ((await Promise.race([p.exited.then(() => 'exited' as const), timer])) === 'timeout') {
      try {
        process.kill(-p.child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      await p.exited;
    }
  }
}

export interface RemoteSetup {
  /** The backend's base URL (`http://127.0.0.1:PORT`). */
  serverUrl: string;
  /** Every demo user's token by email. */
  tokens: Map<string, string>;
  /** Web mode's address to open (`http://127.0.0.1:PORT/#<secret>`). */
  openUrl: string;
  /** The backend's data directory (its database). */
  serverDir: string;
  /** Web mode's data directory. */
  webDir: string;
  /** Stops the backend (SIGKILL: as if it crashed or the network dropped). */
  killServer(): Promise<void>;
  /** Stops the backend gracefully (SIGTERM). */
  stopServer(): Promise<void>;
  /** Starts the backend again on the same port and data. */
  restartServer(): Promise<void>;
  /**
   * While the backend is stopped: a second one on the same data at another port, which web mode
   * does not know, to change the server's state behind the console's back.
   */
  serveElsewhere(): Promise<{ url: string; stop: () => Promise<void> }>;
  log(): string;
  close(): Promise<void>;
}

/** A demo backend (serve given `serverArgs` too, e.g. a GitHub App's flags), and web mode signed in to it as `email`. */
export async function startRemote(email: string, serverArgs: string[] = []): Promise<RemoteSetup> {
  const serverDir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-server-'));
  const webDir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-web-'));
  let server: Proc | undefined;
  let web: Proc | undefined;
  const close = async () => {
    await stop(web);
    await stop(server);
    rmSync(serverDir, { recursive: true, force: true });
    rmSync(webDir, { recursive: true, force: true });
  };
  try {
    const demo = run(['server/cli.ts', 'demo', '--data', serverDir]);
    await demo.exited;
    if (demo.child.exitCode !== 0) throw new Error(`gatehouse demo failed\n${demo.stderr()}`);
    const tokens = new Map<string, string>();
    for (const line of demo.stdout().split('\n')) {
      const [mail, , token] = line.trim().split(/\s+/);
      if (mail && token) tokens.set(mail, token);
    }
    const token = tokens.get(email);
    if (!token) throw new Error(`gatehouse demo printed no token for ${email}`);

    const startServer = async (port: string) => {
      server = run(['server/cli.ts', 'serve', '--data', serverDir, '--port', port, '--log-level', 'silent', ...serverArgs]);
      return (await waitFor(server, /^listening on (http:\/\/\S+)$/m, 'gatehouse serve'))[1]!;
    };
    const serverUrl = await startServer('0');
    const port = new URL(serverUrl).port;

    // The token through the environment, never the process's arguments.
    web = run(['electron/web.ts', '--no-open', '--data', webDir, '--server', serverUrl], { GATEHOUSE_TOKEN: token });
    const openUrl = (await waitFor(web, /^open (http:\/\/\S+)$/m, 'web mode'))[1]!;

    return {
      serverUrl,
      tokens,
      openUrl,
      serverDir,
      webDir,
      killServer: () => stop(server, 'SIGKILL'),
      stopServer: () => stop(server, 'SIGTERM'),
      restartServer: async () => void (await startServer(port)),
      serveElsewhere: async () => {
        const other = run(['server/cli.ts', 'serve', '--data', serverDir, '--port', '0', '--log-level', 'silent', ...serverArgs]);
        try {
          const url = (await waitFor(other, /^listening on (http:\/\/\S+)$/m, 'gatehouse serve'))[1]!;
          return { url, stop: () => stop(other) };
        } catch (err) {
          await stop(other);
          throw err;
        }
      },
      log: () => `--- web mode\n${web?.stderr() ?? ''}\n--- server\n${server?.stderr() ?? ''}`,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** One call to the backend's HTTP API as `email` (a demo user), outside the console: to set up or check the server's state. */
export async function remoteApi(
  at: Pick<RemoteSetup, 'serverUrl' | 'tokens'>,
  path: string,
  email: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(new URL(path, at.serverUrl), {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${at.tokens.get(email)}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}
