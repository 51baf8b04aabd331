import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { buildApp } from '../http/app.ts';
import { DEFAULT_RATE_LIMITS } from '../http/rate-limits.ts';
import { DEFAULT_REQUEST_TTL_MS } from '../domain/context.ts';
import { CLOCK_USAGE, clockOption, parseDuration, parseFlags, parsePort, required, UsageError } from './args.ts';
import { DATABASE_USAGE, databaseOption, defaultAuditKeyPath, openStore } from './data-dir.ts';
import { resolve } from 'node:path';
import { GITHUB_USAGE, githubOption } from './github-option.ts';

export const SERVE_USAGE = `usage: gatehouse serve --data DIR [--database postgres://USER@HOST:PORT/DB]
                      [--host 127.0.0.1] [--port 8787]
                      [--tls-cert FILE --tls-key FILE]
                      [--max-writes-per-minute ${DEFAULT_RATE_LIMITS.writesPerMinute}] [--max-streams-per-user ${DEFAULT_RATE_LIMITS.streamsPerUser}]
                      [--max-stream-opens-per-second ${DEFAULT_RATE_LIMITS.streamOpensPerSecond}]
                      [--request-ttl 7d] [--log-level info|warn|error|silent]
                      [--audit-key FILE] [--checkpoint-interval 60s] [--clock INSTANT]
                      [--smtp-url smtp://HOST:PORT --mail-from ADDRESS]
                      [--github-app-id ID --github-private-key FILE --github-webhook-secret-file FILE
                       [--github-api-url URL]]

Serves the Gatehouse API from the database in DIR. --port 0 picks a free port. With --tls-cert
and --tls-key (PEM files, both or neither) it speaks HTTPS. Prints "listening on
http(s)://HOST:PORT" once ready; SIGTERM drains in-flight requests and exits 0. Each user may
make --max-writes-per-minute writes (POST, PATCH, DELETE) a minute and hold
--max-streams-per-user event streams open; past that: 429. The server as a whole takes on at
most --max-stream-opens-per-second new event streams a second (a restart under thousands of
desktops); past that: 503 with a Retry-After spreading their returns. Logs are JSON lines on stderr, one
per request.
--audit-key FILE is the Ed25519 key that signs the audit log's checkpoints (default
DIR/audit-signing.key); keep it apart from the database. Without one, serve creates it (mode
0600) and says so, unless the database already holds checkpoints: then the key must be restored.
--checkpoint-interval (at most 60s) is how soon new audit events get a signed checkpoint.
--smtp-url (smtp:// or smtps://, with user:password@ if the server wants them) and --mail-from
(both or neither) let email channels send; without them email deliveries wait and retry.
${GITHUB_USAGE}

${DATABASE_USAGE}

${CLOCK_USAGE}`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Both or neither; the URL smtp:// or smtps:// with a host, the sender one plain address. */
function smtpOption(url: string | undefined, from: string | undefined): { url: string; from: string } | undefined {
  if (url === undefined && from === undefined) return undefined;
  if (url === undefined || from === undefined) throw new UsageError('--smtp-url and --mail-from go together: give both or neither');
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || !['smtp:', 'smtps:'].includes(parsed.protocol) || !parsed.hostname) {
    throw new UsageError(`--smtp-url must be smtp://HOST[:PORT] or smtps://HOST[:PORT], got "${url}"`);
  }
  if (!/^[^\s@<>"]+@[^\s@<>"]+$/.test(from)) throw new UsageError(`--mail-from must be an email address (name@example.com), got "${from}"`);
  return { url, from };
}

function positiveInt(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d{1,9}$/.test(text) || n < 1) throw new UsageError(`${flag} must be a whole number from 1, got "${text}"`);
  return n;
}

/** Both files or neither; each must be readable PEM, and the key must match the certificate. */
function tlsOption(certFile: string | undefined, keyFile: string | undefined): { cert: Buffer; key: Buffer } | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new UsageError('--tls-cert and --tls-key go together: give both (PEM files) or neither');
  const read = (file: string, flag: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(`cannot read ${flag} ${file}: ${(err as Error).message}`);
    }
  };
  const cert = read(certFile, '--tls-cert');
  const key = read(keyFile, '--tls-key');
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new UsageError(`--tls-cert ${certFile} / --tls-key ${keyFile} are not a usable PEM certificate and matching private key: ${(err as Error).message}`);
  }
  return { cert, key };
}

export async function serve(argv: string[]): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      data: { type: 'string' },
      database: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'request-ttl': { type: 'string' },
      'log-level': { type: 'string' },
      clock: { type: 'string' },
      'audit-key': { type: 'string' },
      'checkpoint-interval': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'max-writes-per-minute': { type: 'string' },
      'max-streams-per-user': { type: 'string' },
      'max-stream-opens-per-second': { type: 'string' },
      'smtp-url': { type: 'string' },
      'mail-from': { type: 'string' },
      'github-app-id': { type: 'string' },
      'github-private-key': { type: 'string' },
      'github-webhook-secret-file': { type: 'string' },
      'github-api-url': { type: 'string' },
    },
    SERVE_USAGE,
  );
  if (flags.help) return (void console.log(SERVE_USAGE), 0);
  const dir = required(flags, 'data', SERVE_USAGE);
  const host = flags.host ?? '127.0.0.1';
  const port = parsePort(flags.port ?? '8787');
  const requestTtlMs = flags['request-ttl'] ? parseDuration(flags['request-ttl'], '--request-ttl') : DEFAULT_REQUEST_TTL_MS;
  const logLevel = flags['log-level'] ?? 'info';
  if (!LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`);

  const checkpointIntervalMs = flags['checkpoint-interval'] ? parseDuration(flags['checkpoint-interval'], '--checkpoint-interval') : 60_000;
  if (checkpointIntervalMs > 60_000) throw new UsageError('--checkpoint-interval must be at most 60s (a checkpoint at least every minute)');
  if (flags['audit-key'] !== undefined && flags['audit-key'].trim() === '') throw new UsageError('--audit-key needs a file name');
  const writesPerMinute = positiveInt(flags['max-writes-per-minute'], '--max-writes-per-minute', DEFAULT_RATE_LIMITS.writesPerMinute);
  const streamsPerUser = positiveInt(flags['max-streams-per-user'], '--max-streams-per-user', DEFAULT_RATE_LIMITS.streamsPerUser);
  const streamOpensPerSecond = positiveInt(flags['max-stream-opens-per-second'], '--max-stream-opens-per-second', DEFAULT_RATE_LIMITS.streamOpensPerSecond);
  const https = tlsOption(flags['tls-cert'], flags['tls-key']);
  const smtp = smtpOption(flags['smtp-url'], flags['mail-from']);
  const github = githubOption(flags);
  const database = databaseOption(flags.database);

  const { clock, pin } = clockOption(flags.clock);
  const keyFile = flags['audit-key'] !== undefined ? resolve(flags['audit-key']) : defaultAuditKeyPath(dir);
  const { store, auditKey, created } = await openStore(dir, keyFile, database);
  if (created) console.error(`created the audit signing key ${keyFile} (mode 0600): back it up apart from the database`);
  if (pin)
    console.error(`warning: the clock is pinned (it read ${pin.at.toISOString()} at ${new Date(pin.anchorMs).toISOString()} real time); never in production`);
  const app = await buildApp({
    store,
    auditKey,
    checkpointIntervalMs,
    now: clock,
    requestTtlMs,
    logLevel: logLevel === 'silent' ? false : logLevel,
    rateLimits: { writesPerMinute, streamsPerUser, streamOpensPerSecond },
    ...(https ? { https } : {}),
    ...(smtp ? { smtp } : {}),
    ...(github ? { github } : {}),
  });
  try {
    await app.listen({ host, port });
  } catch (err) {
    await store.close();
    throw new UsageError(`cannot listen on ${host}:${port}: ${(err as Error).message}`);
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  console.log(`listening on ${https ? 'https' : 'http'}://${shownHost}:${actualPort}`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      app.log.info({ signal }, 'shutting down: draining in-flight requests');
      // Keep-alive sockets that go idle once their in-flight request is answered must not hold
      // the exit; after 10 s, whatever is left is cut.
      const reaper = setInterval(() => app.server.closeIdleConnections(), 100);
      const deadline = setTimeout(() => app.server.closeAllConnections(), 10_000);
      app
        .close()
        .finally(() => (clearInterval(reaper), clearTimeout(deadline)))
        .then(() => store.close())
        .then(
          () => resolve(0),
          (err: unknown) => {
            console.error(`error during shutdown: ${(err as Error).message}`);
            resolve(1);
          },
        );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
