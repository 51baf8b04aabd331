// The GitHub gate's worker: turns what happened to GitHub-made requests (the audit log after its
// cursor) into posts to their runs' callbacks, and sends those until GitHub takes them. A post is
// queued in the transaction that moves the cursor, and leased before it is sent, so a crash at any
// point neither loses the verdict nor sends it twice (a lease a dead process held ends at start).
import type { ApprovalRequest, AuditEvent } from '../../shared/schemas/index.ts';
import { audit, type ServiceContext } from '../domain/context.ts';
import { newId } from '../domain/ids.ts';
import { SerialTask } from '../domain/serial-task.ts';
import { readDirectory, type Directory } from '../notify/notices.ts';
import { retryDelayMs } from '../notify/service.ts';
import type { GitHubCallback, GitHubDeployment, StoreTx } from '../store/types.ts';
import { type GitHubApi, GitHubError } from './api.ts';
import { type CallbackBody, progressComment, verdictComment } from './comments.ts';

const AUDIT_BATCH = 200;
const LEASE_BATCH = 16;
const LEASE_MS = 60_000;
/** GitHub keeps ten status reports a run: nine progress reports leave room for the verdict. */
export const MAX_PROGRESS_REPORTS = 9;
/** A waiting run times out on GitHub's side after 30 days; a verdict is retried as long. */
const VERDICT_WINDOW_MS = 30 * 24 * 3600_000;
const PROGRESS_WINDOW_MS = 24 * 3600_000;

/** The events that change what a pending request still needs. */
const PROGRESS_EVENTS: Record<string, (dir: Directory, e: AuditEvent) => string | undefined> = {
  'request.created': () => undefined,
  'request.approval': (dir, e) => `${dir.users.get(e.actorId)?.name ?? e.actorId} approved`,
  'request.escalated': (_dir, e) => `Escalated in Gatehouse (${typeof e.details.name === 'string' ? e.details.name : 'a gate'})`,
};

/** Queues a post to the run's callback, in the caller's transaction. */
export async function queueCallback(
  tx: StoreTx,
  now: Date,
  target: { requestId?: string; installationId: number; url: string },
  body: CallbackBody,
): Promise<GitHubCallback> {
  const at = now.toISOString();
  const callback: GitHubCallback = {
    id: newId('ghc'),
    ...(target.requestId ? { requestId: target.requestId } : {}),
    installationId: target.installationId,
    url: target.url,
    body: JSON.stringify(body),
    verdict: body.state !== undefined,
    status: 'pending',
    attempts: 0,
    createdAt: at,
    nextAttemptAt: at,
  };
  await tx.putGitHubCallback(callback);
  return callback;
}

/** The run's verdict on a settled request, in the caller's transaction; progress not yet sent is dropped (it would arrive after). */
async function settle(tx: StoreTx, dir: Directory, event: AuditEvent, deployment: GitHubDeployment, request: ApprovalRequest, now: Date): Promise<void> {
  const message = typeof event.details.message === 'string' && event.details.by === 'rule' ? event.details.message : undefined;
  await queueCallback(tx, now, target(deployment), {
    environment_name: deployment.environmentName,
    state: request.status === 'approved' ? 'approved' : 'rejected',
    comment: verdictComment(dir, request, { actorId: event.actorId, ...(message ? { message } : {}) }),
  });
  for (const c of await tx.githubCallbacks(request.id)) {
    if (c.status === 'pending' && !c.verdict) await tx.putGitHubCallback({ ...c, status: 'failed', lastError: 'superseded by the verdict', leased: false });
  }
  await tx.putGitHubDeployment({ ...deployment, settled: true });
}

function target(deployment: GitHubDeployment) {
  return { requestId: deployment.requestId, installationId: deployment.installationId, url: deployment.callbackUrl };
}

/** Reads the audit events after the cursor; returns how many it read and whether it queued anything. */
export async function drainForGitHub(tx: StoreTx, now: Date): Promise<{ events: number; queued: boolean }> {
  const events = await tx.auditPage(await tx.githubCursor(), AUDIT_BATCH);
  if (events.length === 0) return { events: 0, queued: false };
  let dir: Directory | undefined;
  // What a batch said about each pending request, told in one report: GitHub keeps only ten.
  const progress = new Map<string, { deployment: GitHubDeployment; request: ApprovalRequest; leads: string[] }>();
  let queued = false;
  for (const event of events) {
    if (!event.type.startsWith('request.')) continue;
    const deployment = await tx.githubDeployment(event.subject);
    if (!deployment || deployment.settled) continue;
    const request = await tx.get('request', event.subject);
    if (!request) continue;
    dir ??= await readDirectory(tx);
    if (request.status !== 'pending') {
      progress.delete(request.id);
      await settle(tx, dir, event, deployment, request, now);
      queued = true;
      continue;
    }
    const lead = PROGRESS_EVENTS[event.type];
    if (!lead) continue;
    const entry = progress.get(request.id) ?? { deployment, request, leads: [] };
    const words = lead(dir, event);
    if (words) entry.leads.push(words);
    progress.set(request.id, entry);
  }
  for (const { deployment, request, leads } of progress.values()) {
    if (deployment.reports >= MAX_PROGRESS_REPORTS) continue;
    const comment = progressComment(dir!, request, leads.length ? leads.join('; ') : undefined);
    await queueCallback(tx, now, target(deployment), { environment_name: deployment.environmentName, comment });
    await tx.putGitHubDeployment({ ...deployment, reports: deployment.reports + 1 });
    queued = true;
  }
  await tx.setGitHubCursor(events[events.length - 1]!.seq);
  return { events: events.length, queued };
}

/** Answers GitHub gives for good: retrying would get the same (the run is gone or no longer waits). */
function isFinal(err: unknown): boolean {
  return err instanceof GitHubError && [400, 404, 410, 422].includes(err.status);
}

export interface GitHubGateOptions {
  intervalMs?: number;
  log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export class GitHubGate {
  readonly #ctx: ServiceContext;
  readonly #api: GitHubApi;
  readonly #options: GitHubGateOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #offCommit: (() => void) | undefined;
  readonly #cycles: SerialTask;
  /** Whether a commit may concern a waiting run: without one, the timer's tick moves the cursor. */
  #watching = true;

  constructor(ctx: ServiceContext, api: GitHubApi, options: GitHubGateOptions) {
    this.#ctx = ctx;
    this.#api = api;
    this.#options = options;
    this.#cycles = new SerialTask(
      () => this.#run(),
      (err) => options.log.error({ err }, 'GitHub gate cycle failed'),
    );
  }

  /** Starts the worker (after the notifier, whose start ends the leases a dead process left). */
  start(): void {
    this.#offCommit = this.#ctx.store.onCommit(() => {
      if (this.#watching) this.kick();
    });
    this.#timer = setInterval(() => this.kick(), this.#options.intervalMs ?? 1000);
    this.#timer.unref();
    this.kick();
  }

  /** A webhook made a request: commits from now on may concern its run. */
  watch(): void {
    this.#watching = true;
    this.kick();
  }

  kick(): void {
    this.#cycles.kick();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#offCommit?.();
    await this.#cycles.close();
  }

  async #run(): Promise<void> {
    const store = this.#ctx.store;
    // A read outside a transaction is only a hint; it keeps a quiet server from writing each tick.
    if ((await store.auditHead()).seq > (await store.githubCursor())) {
      for (;;) {
        const { events } = await store.transact((tx) => drainForGitHub(tx, this.#ctx.now()));
        if (events < AUDIT_BATCH) break;
      }
    }
    this.#watching = await store.hasOpenGitHubDeployments();
    for (;;) {
      if (this.#cycles.closed) return;
      const leased = await this.#lease();
      if (leased.length === 0) return;
      // One run's posts go in order (its progress before its verdict); different runs side by side.
      const byRun = new Map<string, GitHubCallback[]>();
      for (const c of leased) byRun.set(c.url, [...(byRun.get(c.url) ?? []), c]);
      await Promise.all([...byRun.values()].map(async (posts) => this.#record(await this.#sendInOrder(posts))));
    }
  }

  async #lease(): Promise<GitHubCallback[]> {
    const now = this.#ctx.now();
    if ((await this.#ctx.store.dueGitHubCallbacks(now, 1)).length === 0) return [];
    return this.#ctx.store.transact(async (tx) => {
      const due = await tx.dueGitHubCallbacks(now, LEASE_BATCH);
      for (const c of due) await tx.putGitHubCallback({ ...c, leased: true, nextAttemptAt: new Date(now.getTime() + LEASE_MS).toISOString() });
      return due;
    });
  }

  async #sendInOrder(posts: GitHubCallback[]): Promise<{ callback: GitHubCallback; error?: unknown }[]> {
    const out: { callback: GitHubCallback; error?: unknown }[] = [];
    for (const callback of posts) {
      // After a failed post of this run, the later ones wait for their own retry.
      if (out.some((r) => r.error !== undefined)) {
        out.push({ callback, error: new Error('an earlier post to this run failed') });
        continue;
      }
      try {
        if (!this.#api.ownsUrl(callback.url)) throw new GitHubError(400, `the callback ${callback.url} is not on ${this.#api.apiUrl}`);
        await this.#api.review(callback.installationId, callback.url, callback.body);
        out.push({ callback });
      } catch (error) {
        out.push({ callback, error });
      }
    }
    return out;
  }

  /** Writes the outcomes of one run's posts in one transaction; a delivered or abandoned verdict goes into the audit log. */
  async #record(results: { callback: GitHubCallback; error?: unknown }[]): Promise<void> {
    await this.#ctx.store
      .transact(async (tx) => {
        const now = this.#ctx.now();
        for (const { callback, error } of results) {
          const attempts = callback.attempts + 1;
          const { leased: _leased, nextAttemptAt: _next, lastError: _last, ...rest } = callback;
          if (error === undefined) {
            await tx.putGitHubCallback({ ...rest, status: 'delivered', attempts, deliveredAt: now.toISOString() });
            if (callback.verdict && callback.requestId) await this.#auditVerdict(tx, callback, attempts, undefined);
            continue;
          }
          const message = error instanceof Error ? error.message : String(error);
          const next = now.getTime() + retryDelayMs(attempts);
          const window = callback.verdict ? VERDICT_WINDOW_MS : PROGRESS_WINDOW_MS;
          const giveUp = isFinal(error) || next - Date.parse(callback.createdAt) > window;
          if (giveUp) {
            await tx.putGitHubCallback({ ...rest, status: 'failed', attempts, lastError: message });
            this.#options.log.warn({ callback: callback.id, url: callback.url, error: message }, 'GitHub did not take a deployment review; giving up');
            if (callback.verdict && callback.requestId) await this.#auditVerdict(tx, callback, attempts, message);
          } else {
            await tx.putGitHubCallback({ ...rest, attempts, lastError: message, nextAttemptAt: new Date(next).toISOString() });
          }
        }
      })
      .catch((err: unknown) => this.#options.log.error({ err }, 'could not record GitHub callback attempts'));
  }

  async #auditVerdict(tx: StoreTx, callback: GitHubCallback, attempts: number, error: string | undefined): Promise<void> {
    const body = JSON.parse(callback.body) as CallbackBody;
    await audit(tx, this.#ctx.now(), 'system', error === undefined ? 'github.verdict.delivered' : 'github.verdict.failed', callback.requestId!, {
      state: body.state,
      environment: body.environment_name,
      url: callback.url,
      attempts,
      ...(error !== undefined ? { error } : {}),
    });
  }
}
