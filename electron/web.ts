// Web mode: the same desktop core in plain Node, serving the built renderer on 127.0.0.1 and
// carrying the IPC contract over a WebSocket. `npm run -s web -- [--server URL (--token-file F | GATEHOUSE_TOKEN)]
// [--port N] [--data DIR] [--no-open]`. The last line printed is the address to open.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLOCK_ENV, formatClockPin } from '../shared/clock.ts';
import { serverUrlProblem } from '../shared/transport.ts';
import { CLOCK_USAGE, clockOption, parseFlags, parsePort, resolveToken, TOKEN_USAGE, UsageError } from '../server/index.ts';
import { createDesktopCore, type DesktopCore } from './core/app.ts';
import type { NotificationSink } from './core/contracts.ts';
import { FileSecretStore } from './core/settings/index.ts';
import { startWebHost } from './core/web/host.ts';
import { openInBrowser, type OpenedBrowser } from './core/web/open-browser.ts';
import { startEmbeddedBackend } from './core/embedded-backend.ts';

const USAGE = `usage: npm run -s web -- [--server URL (--token-file FILE | --token T)] [--port N] [--data DIR] [--no-open]
                          [--allow-insecure-http] [--clock INSTANT]

Runs Gatehouse in your browser. Without --server it starts its own demo backend in the data
dir (first run: "gatehouse demo"), signed in as the demo release manager. The last line printed
is the address to open; it carries a per-launch secret, so keep it to yourself.

  --server URL   a Gatehouse server to sync with (needs a token: --token-file or GATEHOUSE_TOKEN)
  --token-file F your API token for that server, the file's first line (kept in DIR, mode 0600)
  --token T      the same, but visible to other users in the process's arguments (warns)
  --port N       the local port to serve on (default: a free one)
  --data DIR     where the cache, outbox and settings live (default ~/.local/share/gatehouse/web)
  --no-open      don't open a browser
  --allow-insecure-http  allow a plain http:// --server (or sign-in) to a host other than this
                 machine: the token then crosses the network in clear. Without it, only
                 https:// or http:// to 127.0.0.0/8, ::1 and localhost

${TOKEN_USAGE}

${CLOCK_USAGE}`;

const here = fileURLToPath(new URL('.', import.meta.url));

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      server: { type: 'string' },
      token: { type: 'string' },
      'token-file': { type: 'string' },
      port: { type: 'string' },
      data: { type: 'string' },
      'no-open': { type: 'boolean' },
      'allow-insecure-http': { type: 'boolean' },
      clock: { type: 'string' },
    },
    USAGE,
  );
  const allowInsecureHttp = flags['allow-insecure-http'] === true;
  if (flags.help) return (void console.log(USAGE), 0);
  if (flags.server === undefined && (flags.token !== undefined || flags['token-file'] !== undefined)) {
    throw new UsageError(`--token and --token-file go with --server\n\n${USAGE}`);
  }
  const insecure = flags.server === undefined ? undefined : serverUrlProblem(flags.server, { allowInsecureHttp });
  if (insecure) throw new UsageError(`--server: ${insecure}`);
  // As `gatehouse deploy` reads it: --token-file, GATEHOUSE_TOKEN, or --token with a warning.
  const token = flags.server === undefined ? undefined : resolveToken(flags);
  const port = flags.port === undefined ? 0 : parsePort(flags.port);
  const { clock, pin } = clockOption(flags.clock);
  // Anything this process starts runs on the same clock, to the millisecond.
  if (pin) process.env[CLOCK_ENV] = formatClockPin(pin);
  const dataDir = resolve(flags.data ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'gatehouse', 'web'));

  // The page shows these with the browser's Notification API; a click opens the target.
  let core: DesktopCore | undefined;
  const notifications: NotificationSink = {
    show: (n) => {
      const target = core?.notificationTarget(n.id);
      core?.emit('notification.show', { ...n, ...(target ? { target } : {}) });
    },
    close: (id) => core?.emit('notification.close', { id }),
  };
  core = await createDesktopCore({
    mode: 'web',
    dataDir,
    clock,
    secrets: new FileSecretStore(join(dataDir, 'token')),
    notifications,
    allowInsecureHttp,
    ...(flags.server && token ? { server: { url: flags.server.replace(/\/+$/, ''), token } } : {}),
    startEmbedded: startEmbeddedBackend,
    log: (line) => console.error(`[gatehouse] ${line}`),
  });

  let opened: OpenedBrowser | undefined;
  const host = await startWebHost({
    dispatch: core.dispatch,
    subscribe: core.subscribe,
    staticDir: resolve(here, '../out/renderer'),
    port,
    // The browser has the secret now: the redirect page that carried it goes.
    onConnection: () => void opened?.discard(),
    onError: (err) => console.error(`[gatehouse] web host: ${(err as Error)?.stack ?? String(err)}`),
  });
  console.log(`data in ${dataDir}`);
  // The opener gets a 0600 redirect page's path, never the secret (process arguments are public).
  if (!flags['no-open']) opened = await openInBrowser({ dataDir, openUrl: host.openUrl });
  console.log(`open ${host.openUrl}`);

  return new Promise<number>((done) => {
    const stop = () => {
      void host
        .close()
        .then(() => opened?.discard())
        .then(() => core.close())
        .then(
          () => done(0),
          () => done(1),
        );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`error: ${err instanceof UsageError ? err.message : ((err as Error)?.stack ?? String(err))}`);
    process.exit(1);
  },
);
