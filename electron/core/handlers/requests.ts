// inbox.query and request.*: the inbox and one request, computed offline from the cache with the
// shared policy engine; the diff from the cache or the server; filing, nudging and history online.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../shared/clock.ts';
import type { OutboxConflict, OutboxEntry } from '../../../shared/desktop/outbox.ts';
import type { Handlers } from '../../../shared/ipc.ts';
import { canApprove, evaluateProgress, progressLine } from '../../../shared/policy/index.ts';
import { ApprovalRequest, type AuditEvent } from '../../../shared/schemas/index.ts';
import type { Cache } from '../cache/index.ts';
import type { Connection } from '../connection/index.ts';
import { CoreError } from '../ipc/dispatch.ts';
import type { Outbox } from '../outbox/index.ts';
import { previewRequest } from '../preview/index.ts';
import { teamsById, usersById } from './lookups.ts';

/** The outbox operations that decide on one request (and so show on its detail). */
const REQUEST_KEYED_OPS = new Set(['approve', 'reject', 'cancel']);

export interface RequestDeps {
  cache: Cache;
  outbox: Outbox;
  connection: Connection;
  clock: Clock;
}

/** How long request.create waits for the server's answer before saying "queued". */
const CREATE_WAIT_MS = 20_000;

type CreateOutcome = { kind: 'filed'; request: ApprovalRequest } | { kind: 'refused'; error: OutboxConflict } | { kind: 'queued' };

type RequestChannels = 'inbox.query' | 'request.get' | 'request.diff' | 'request.create' | 'request.nudge' | 'request.history';

export function requestHandlers({ cache, outbox, connection, clock }: RequestDeps): Pick<Handlers, RequestChannels> {
  const cached = (id: string): ApprovalRequest => {
    const request = cache.request(id);
    if (!request) throw new CoreError('not_found', 'request not found', 404);
    return request;
  };
  const queuedFor = (requestId: string): OutboxEntry[] =>
    outbox.list().filter((e) => REQUEST_KEYED_OPS.has(e.op.type) && 'requestId' in e.op && e.op.requestId === requestId);

  // A filed request is in the cache before the sync echoes it, so the console can open it at once.
  outbox.onApplied((entry, result) => {
    if (entry.op.type !== 'request.create') return;
    const parsed = ApprovalRequest.safeParse(result);
    if (!parsed.success) return;
    cache.applyChanges([{ seq: cache.cursor(), entity: 'request', id: parsed.data.id, op: 'upsert', data: parsed.data }], cache.cursor());
  });

  /** How a queued new request ends up: filed, refused, or left queued (network down, still waiting). */
  const settled = (id: string) => {
    let done: (o: CreateOutcome) => void = () => undefined;
    const promise = new Promise<CreateOutcome>((resolve) => (done = resolve));
    const offs: (() => void)[] = [];
    const finish = (o: CreateOutcome) => {
      for (const off of offs) off();
      clearTimeout(timer);
      done(o);
    };
    offs.push(
      outbox.onApplied((entry, result) => {
        if (entry.id !== id) return;
        const parsed = ApprovalRequest.safeParse(result);
        if (parsed.success) finish({ kind: 'filed', request: parsed.data });
        else finish({ kind: 'queued' });
      }),
      outbox.onChange(() => {
        const e = outbox.get(id);
        if (e?.state === 'conflict' && e.error) finish({ kind: 'refused', error: e.error });
        else if (e?.state === 'queued' && e.lastError) finish({ kind: 'queued' });
      }),
    );
    // The answer may be slow; the request stays queued and is sent all the same.
    const timer = setTimeout(() => finish({ kind: 'queued' }), CREATE_WAIT_MS);
    return { promise, cancel: () => finish({ kind: 'queued' }) };
  };

  return {
    'inbox.query': async (q) => {
      const me = connection.me;
      const result = cache.inbox({ ...q, ...(q.text ? { text: q.text } : {}) }, me);
      const users = usersById(cache);
      const teams = teamsById(cache);
      const queued = new Set(outbox.list().flatMap((e) => ('requestId' in e.op ? [e.op.requestId] : [])));
      return {
        total: result.total,
        counts: result.counts,
        rows: result.rows.map((request) => {
          const mine = me ? request.decisions.find((d) => d.userId === me.id) : undefined;
          return {
            request,
            canApprove: me ? canApprove(request, me) : false,
            progress:
              request.status === 'pending'
                ? progressLine(evaluateProgress(request, users, { user: (id) => users.get(id)?.name, team: (id) => teams.get(id)?.name }))
                : request.status,
            ...(mine ? { myDecision: mine.kind } : {}),
            queued: queued.has(request.id),
          };
        }),
      };
    },
    'request.get': async ({ id }) => {
      const request = cached(id);
      const preview = previewRequest(request, connection.whoAmI(), usersById(cache), teamsById(cache), { now: clock() });
      return { request, progress: preview.progress, canApprove: preview.canApprove, whoCanStillApprove: preview.whoCanStillApprove, queued: queuedFor(id) };
    },
    'request.diff': async ({ id }) => {
      const request = cached(id);
      const hit = cache.getDiff(id);
      if (hit && hit.digest === request.digest) return { text: hit.text, digest: hit.digest };
      const client = connection.reachable();
      if (!client) throw new CoreError('offline', 'this diff was not downloaded before the connection was lost');
      const { text } = await client.diff(id);
      cache.putDiff(id, request.digest, text);
      return { text, digest: request.digest };
    },
    'request.create': async (body) => {
      // One path online and offline: the outbox sends it with its Idempotency-Key, so a retry after
      // a lost answer files it once; offline it simply stays queued until the server is back.
      const entry = await outbox.enqueue({ type: 'request.create', ...body }, connection.owner());
      const outcome = settled(entry.id);
      connection.drainOutbox();
      if (!connection.reachable() || !connection.identity()) {
        outcome.cancel();
        return { queued: entry };
      }
      const result = await outcome.promise;
      if (result.kind === 'filed') return { request: result.request };
      if (result.kind === 'queued') return { queued: outbox.get(entry.id) ?? entry };
      // Refused while the user is still on the form: they fix it there, nothing lingers in the outbox.
      await outbox.dismiss(entry.id);
      throw new CoreError(result.error.code, result.error.message, result.error.status);
    },
    'request.nudge': async ({ id, ...body }) => {
      const request = await connection.online().nudge(id, body, randomUUID());
      // Applied at once so the detail shows the nudge without waiting for the sync round trip.
      cache.applyChanges([{ seq: cache.cursor(), entity: 'request', id, op: 'upsert', data: request }], cache.cursor());
      return { request };
    },
    'request.history': async ({ id }) => {
      const client = connection.online();
      const events: AuditEvent[] = [];
      for (let after = 0; ; ) {
        const page = await client.audit(after, 1000, { subject: id });
        events.push(...page.events);
        if (page.next === null || page.events.length === 0) return { events };
        after = page.next;
      }
    },
  };
}
