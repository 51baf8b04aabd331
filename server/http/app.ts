// The HTTP API (docs/api.md) on Fastify: body limits, JSON errors in one shape, bearer auth, one
// log line per request (never the token), graceful close that ends the SSE streams.
import { isUtf8 } from 'node:buffer';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../../shared/clock.ts';
import type { AuditKey } from '../audit/checkpoint.ts';
import { checkpointHead } from '../domain/checkpoints.ts';
import { DEFAULT_REQUEST_TTL_MS, type ServiceContext } from '../domain/context.ts';
import { DomainError } from '../domain/errors.ts';
import { pruneIdempotency, sweep } from '../domain/sweeper.ts';
import type { Store } from '../store/types.ts';
import { StoreUnavailableError } from '../store/unavailable.ts';
import { registerBearerAuth } from './auth.ts';
import { registerAuthorization } from './authorization.ts';
import { BODY_LIMIT } from './body-limits.ts';
import { HttpError, fromDomainError } from './errors.ts';
import { DEFAULT_RATE_LIMITS, registerWriteRateLimit, StreamAdmission, type RateLimits } from './rate-limits.ts';
import { NotificationService } from '../notify/service.ts';
import { smtpMailer } from '../notify/transports.ts';
import { registerAuditRoutes } from './routes/audit.ts';
import { registerChannelRoutes } from './routes/channels.ts';
import { registerBindingRoutes } from './routes/bindings.ts';
import { registerBreakGlassRoutes } from './routes/breakglass.ts';
import { registerEnvironmentRoutes } from './routes/environments.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerNamedRoutes } from './routes/named.ts';
import { registerPolicyRoutes } from './routes/policies.ts';
import { registerRequestRoutes } from './routes/requests.ts';
import { registerSyncRoutes } from './routes/sync.ts';
import { registerTokenRoutes } from './routes/tokens.ts';
import { registerUserRoutes } from './routes/users.ts';
import { registerGitHubRoutes } from './routes/github.ts';
import { GitHubApi, type GitHubAppConfig } from '../github/api.ts';
import { GitHubGate } from '../github/gate.ts';

/** Retry-After (seconds) on a 503 for a lost database connection: the listener retries every second, a pool connect is immediate. */
const DATABASE_RETRY_AFTER_S = 1;

export interface AppOptions {
  store: Store;
  /** Signs the audit checkpoints; the store must have been opened with the same key. */
  auditKey: AuditKey;
  /** How often the unsigned head gets a checkpoint when new events came (default and most: a minute). */
  checkpointIntervalMs?: number;
  now?: Clock;
  requestTtlMs?: number;
  /** false, or a pino level ('info', 'warn', …); logs go to `logStream` (stderr by default). */
  logLevel?: string | false;
  logStream?: NodeJS.WritableStream;
  heartbeatMs?: number;
  sweepIntervalMs?: number;
  /** Per-user limits on writes and event streams (default DEFAULT_RATE_LIMITS). */
  rateLimits?: Partial<RateLimits>;
  /** PEM certificate and key: the server speaks HTTPS (checked by the caller). */
  https?: { cert: Buffer; key: Buffer };
  /** Email: the SMTP server (smtp:// or smtps:// URL) and the sender address. */
  smtp?: { url: string; from: string };
  /** The GitHub App this server is (deployment protection rules); without it the webhook answers 404. */
  github?: GitHubAppConfig;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const ctx: ServiceContext = {
    store: options.store,
    now: options.now ?? systemClock,
    requestTtlMs: options.requestTtlMs ?? DEFAULT_REQUEST_TTL_MS,
  };
  // An HTTPS Fastify is typed apart; every route and hook here is the same for both.
  const app = (Fastify as unknown as (o: object) => FastifyInstance)({
    ...(options.https ? { https: options.https } : {}),
    logger: options.logLevel ? { level: options.logLevel, stream: options.logStream ?? process.stderr } : false,
    bodyLimit: BODY_LIMIT,
    // Our own onResponse hook writes the one line per request.
    logController: new LogController({ disableRequestLogging: true }),
    // Our onRequest hook answers 503 while closing, in our error shape.
    return503OnClosing: false,
    routerOptions: { maxParamLength: 256 },
    // URL-level failures (bad percent-encoding, over-long ids) come before routing: same error shape.
    frameworkErrors: (err: Error & { statusCode?: number; code?: string }, _req: FastifyRequest, reply: FastifyReply) => {
      const status = err.statusCode ?? 400;
      const message = err.code === 'FST_ERR_BAD_URL' ? 'malformed URL' : err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'URL parameter too long' : 'bad request';
      void (reply as unknown as FastifyReply).status(status).send({ error: { code: status === 414 ? 'uri_too_long' : 'invalid_request', message } });
    },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });

  // While draining on SIGTERM: refuse new requests and close every connection after its answer,
  // so keep-alive clients can't hold the exit open.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_req, reply) => {
    if (!closing) return;
    void reply.header('connection', 'close');
    throw new HttpError(503, 'unavailable', 'the server is shutting down');
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) void reply.header('connection', 'close');
  });

  // JSON bodies must be UTF-8: the default parser would turn invalid bytes into U+FFFD silently,
  // so a diff could be stored (and hashed) as something else than what was sent.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    if (!isUtf8(body as Buffer)) return done(new HttpError(400, 'invalid_request', 'the request body is not valid UTF-8'), undefined);
    parseJson(req, (body as Buffer).toString('utf8'), done);
  });

  const limits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  // Before authentication: a refusal during a reconnect storm must cost next to nothing.
  const admission = new StreamAdmission(limits.streamOpensPerSecond);
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'GET' || req.routeOptions.url !== '/api/events') return;
    const retryAfter = admission.admit(ctx.now().getTime());
    if (retryAfter === undefined) return;
    void reply.header('retry-after', String(retryAfter));
    throw new HttpError(
      503,
      'unavailable',
      `the server is taking on new event streams at ${limits.streamOpensPerSecond} a second; try again in ${retryAfter} s`,
    );
  });
  registerAuthorization(app);
  registerBearerAuth(app, ctx.store, ctx.now);
  await registerWriteRateLimit(app, limits);

  app.addHook('onResponse', async (req, reply) => {
    req.log.info({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, user: req.user?.id }, 'request');
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const refusal = err instanceof DomainError ? fromDomainError(err) : err;
    if (refusal instanceof HttpError) return reply.status(refusal.status).send(refusal.toBody());
    if (err instanceof StoreUnavailableError) {
      // The store reconnects by itself; a client that waits a moment and retries (with its
      // Idempotency-Key, in case a COMMIT went through before the answer was lost) gets through.
      req.log.warn({ err }, 'database unavailable');
      void reply.header('retry-after', String(DATABASE_RETRY_AFTER_S));
      return reply.status(503).send({
        error: { code: 'unavailable', message: `the database is unavailable (the connection to it was lost); try again in ${DATABASE_RETRY_AFTER_S} s` },
      });
    }
    const status = err.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const code =
        status === 413
          ? 'payload_too_large'
          : status === 415
            ? 'unsupported_media_type'
            : err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError
              ? 'invalid_json'
              : 'invalid_request';
      const message = status === 413 ? `request body is too large (limit ${req.routeOptions.bodyLimit ?? BODY_LIMIT} bytes)` : err.message;
      return reply.status(status).send({ error: { code, message } });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'internal', message: 'internal server error' } });
  });

  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } }));

  app.get('/healthz', async () => ({ ok: true }));
  registerUserRoutes(app, ctx);
  registerTokenRoutes(app, ctx);
  registerNamedRoutes(app, ctx);
  registerEnvironmentRoutes(app, ctx);
  registerPolicyRoutes(app, ctx);
  registerBindingRoutes(app, ctx);
  registerRequestRoutes(app, ctx);
  registerBreakGlassRoutes(app, ctx);
  registerAuditRoutes(app, ctx, options.auditKey);
  registerSyncRoutes(app, ctx);
  registerEventRoutes(app, ctx, { heartbeatMs: options.heartbeatMs ?? 15_000, streamsPerUser: limits.streamsPerUser });

  // Notifications: without a public URL, links point at the address this server listens on.
  const listenUrl = () => {
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const host = typeof address === 'object' && address ? (address.family === 'IPv6' ? `[${address.address}]` : address.address) : '127.0.0.1';
    return `${options.https ? 'https' : 'http'}://${host}:${port}`;
  };
  const notifications = new NotificationService(ctx, {
    ...(options.smtp ? { mailer: smtpMailer(options.smtp.url, options.smtp.from) } : {}),
    listenUrl,
    log: app.log,
  });
  registerChannelRoutes(app, ctx, {
    apiBase: async () => (await ctx.store.settings()).publicUrl ?? listenUrl(),
    kick: () => setImmediate(() => notifications.kick()),
  });

  const githubApi = options.github ? new GitHubApi(options.github, ctx.now) : undefined;
  const githubGate = githubApi ? new GitHubGate(ctx, githubApi, { log: app.log }) : undefined;
  registerGitHubRoutes(app, ctx, {
    ...(githubApi && options.github ? { github: { api: githubApi, webhookSecret: options.github.webhookSecret, appId: options.github.appId } } : {}),
    watch: () => githubGate?.watch(),
  });

  // The audit head gets a signed checkpoint now (covering what a crash left unsigned), then at
  // least once a checkpoint interval while new events come, and when the server closes.
  const checkpointMs = Math.min(options.checkpointIntervalMs ?? 60_000, 60_000);
  let lastRefusal = '';
  const signHead = async () => {
    const decision = await checkpointHead(ctx, options.auditKey);
    if ('refused' in decision && decision.refused !== lastRefusal) app.log.error(`audit checkpoint not signed: ${decision.refused}`);
    lastRefusal = 'refused' in decision ? decision.refused : '';
  };
  await signHead();
  let lastSigned = ctx.now().getTime();
  const checkpointDue = () => {
    const now = ctx.now().getTime();
    // A clock set back (a restored pin) counts as due rather than waiting for it to catch up.
    if (now - lastSigned < checkpointMs && now >= lastSigned) return false;
    lastSigned = now;
    return true;
  };

  // Expiries and timed unfreezes happen even when nobody calls the API.
  const sweepMs = options.sweepIntervalMs ?? 1000;
  let sweeping: Promise<void> | undefined;
  const sweeper = setInterval(
    () => {
      if (sweeping) return;
      sweeping = sweep(ctx)
        .catch((err: unknown) => app.log.error({ err }, 'sweep failed'))
        .then(() => (checkpointDue() ? signHead() : undefined))
        .catch((err: unknown) => app.log.error({ err }, 'audit checkpoint failed'))
        .finally(() => (sweeping = undefined));
    },
    Math.min(sweepMs, checkpointMs),
  );
  const pruner = setInterval(() => void pruneIdempotency(ctx).catch((err: unknown) => app.log.error({ err }, 'prune failed')), 3600_000);
  sweeper.unref();
  pruner.unref();
  app.addHook('onReady', async () => {
    // The notifier's start ends leases a dead process left, the gate's among them.
    await notifications.start();
    githubGate?.start();
  });
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
    clearInterval(pruner);
    await notifications.close();
    await githubGate?.close();
    await sweeping;
    await signHead().catch((err: unknown) => app.log.error({ err }, 'audit checkpoint failed'));
  });
  return app;
}
