// Shared by the desktop cross-part tests: a demo backend (real CLI, temp data dir), bulk request
// creation over the API, and the desktop core's parts pointed at it.
import assert from 'node:assert/strict';
import { apiFor, demoDir, ServerProcess, sleep, type Api } from '../server/harness.ts';
import type { AuditEvent } from '../../shared/schemas/index.ts';
import type { ConnectionStatus, NotificationSink, SecretStore } from '../../electron/core/contracts.ts';
import { createBackendClient, type BackendClient } from '../../electron/core/client/index.ts';
import WebSocket from 'ws';
import { IPC_PATH, SECRET_PROTOCOL_PREFIX } from '../../electron/core/web/host.ts';

export const RHEA = 'rhea.manning@example.com';
export const SAM = 'sam.ortiz@example.com';
export const OLIVIA = 'olivia.hart@example.com';

export interface Backend {
  dir: string;
  server: ServerProcess;
  token: (email: string) => string;
  api: (email: string) => Api;
  url: () => string;
  /** Environments by "<projectName>/<envName>"… simplified: the first env with this name. */
  envId: (name: string) => Promise<string>;
}

export async function demoBackend(): Promise<Backend> {
  const demo = await demoDir();
  const server = await new ServerProcess(demo.dir).start();
  const b: Backend = {
    dir: demo.dir,
    server,
    token: demo.token,
    url: () => b.server.url,
    api: (email) => apiFor(() => b.server.url, demo.token(email)),
    async envId(name) {
      const r = await b.api(OLIVIA).get('/api/environments');
      const env = (r.body.environments as { id: string; name: string }[]).find((e) => e.name === name);
      assert.ok(env, `environment ${name}`);
      return env.id;
    },
  };
  return b;
}

/** Stops the server and starts it again on the same data dir and the same port. */
export async function restartSamePort(b: Backend): Promise<void> {
  const port = new URL(b.server.url).port;
  if (b.server.running) await b.server.stop();
  b.server = await new ServerProcess(b.dir, ['--port', port]).start();
}

export function clientFor(b: Backend, email: string, extra: Partial<Parameters<typeof createBackendClient>[0]> = {}): BackendClient {
  return createBackendClient({ baseUrl: b.url(), token: () => b.token(email), timeoutMs: 10_000, retry: { limit: 1, baseMs: 50, maxMs: 200 }, ...extra });
}

/** Creates `count` requests through the API, `concurrency` at a time; returns their ids. */
export async function createRequests(
  api: Api,
  count: number,
  body: (i: number) => unknown,
  concurrency = 32,
): Promise<{ id: string; status: string; digest: string }[]> {
  const out = new Array<{ id: string; status: string; digest: string }>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const r = await api.post('/api/requests', body(i));
      assert.equal(r.status, 201, `create request ${i}: ${r.text.slice(0, 300)}`);
      out[i] = r.body.request;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}

/** A pending production deploy filed by Sam, which Rhea (release manager) may approve. */
export async function pendingForRhea(b: Backend, count: number): Promise<{ id: string; digest: string }[]> {
  const env = await b.envId('production');
  const reqs = await createRequests(b.api(SAM), count, (i) => ({
    action: 'release.deploy',
    resource: { environmentId: env },
    justification: `desktop test ${i}`,
    payload: { revision: `rev-${i}`, summary: 'test' },
  }));
  for (const r of reqs) assert.equal(r.status, 'pending');
  return reqs;
}

export async function allAudit(api: Api): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let after = 0;
  for (;;) {
    const r = await api.get(`/api/audit?after=${after}&limit=5000`);
    assert.equal(r.status, 200, r.text);
    events.push(...(r.body.events as AuditEvent[]));
    if (r.body.next === null) return events;
    after = r.body.next;
  }
}

/** Asserts every request got exactly one decision by `userId`, and one audit event for it. */
export async function assertDecidedOnce(b: Backend, ids: readonly string[], userId: string, kind: 'approve' | 'reject' = 'approve'): Promise<void> {
  const admin = b.api(OLIVIA);
  const audit = await allAudit(admin);
  const type = kind === 'approve' ? 'request.approval' : 'request.rejection';
  for (const id of ids) {
    const r = await admin.get(`/api/requests/${id}`);
    assert.equal(r.status, 200);
    const mine = (r.body.request.decisions as { userId: string; kind: string }[]).filter((d) => d.userId === userId);
    assert.equal(mine.length, 1, `${id}: decisions by ${userId}: ${JSON.stringify(mine)}`);
    assert.equal(mine[0]!.kind, kind);
    const events = audit.filter((e) => e.type === type && e.subject === id && e.actorId === userId);
    assert.equal(events.length, 1, `${id}: ${type} audit events by ${userId}`);
  }
}

export class StatusLog {
  readonly all: ConnectionStatus[] = [];
  push = (s: ConnectionStatus) => void this.all.push(s);
  get last(): ConnectionStatus | undefined {
    return this.all[this.all.length - 1];
  }
  async waitFor(state: ConnectionStatus['state'], timeoutMs: number, since = 0): Promise<ConnectionStatus> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.all.slice(since).find((s) => s.state === state);
      if (hit && this.last?.state === state) return hit;
      if (performance.now() > deadline) throw new Error(`status ${state} not reached in ${timeoutMs} ms; saw ${this.all.map((s) => s.state).join(' → ')}`);
      await sleep(20);
    }
  }
}

export async function until<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** The token kept in memory, as a core's SecretStore. */
export class MemorySecrets implements SecretStore {
  token: string | undefined;
  async get() {
    return this.token;
  }
  async set(t: string | undefined) {
    this.token = t;
  }
}

/** A NotificationSink that records what it was asked to show and close. */
export class RecordingSink implements NotificationSink {
  shown: { id: string; title: string; body: string; urgent?: boolean }[] = [];
  closed: string[] = [];
  show(n: { id: string; title: string; body: string; urgent?: boolean }) {
    this.shown.push(n);
  }
  close(id: string) {
    this.closed.push(id);
  }
}

/** A socket to web mode's IPC endpoint on `port`, as the console opens it (secret null: without one). */
export function openWebSocket(
  port: number | string,
  secret: string | null,
  opts: { origin?: string; host?: string; maxPayload?: number } = {},
): Promise<WebSocket> {
  const protocols = ['gatehouse', ...(secret === null ? [] : [`${SECRET_PROTOCOL_PREFIX}${secret}`])];
  const ws = new WebSocket(`ws://127.0.0.1:${port}${IPC_PATH}`, protocols, {
    headers: { origin: opts.origin ?? `http://127.0.0.1:${port}`, ...(opts.host ? { host: opts.host } : {}) },
    ...(opts.maxPayload ? { maxPayload: opts.maxPayload } : {}),
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_q, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

let nextCallId = 1;
/** One IPC call over web mode's socket; resolves with its result. */
export function ipcCall(ws: WebSocket, channel: string, input: unknown): Promise<{ ok: boolean; data?: any; error?: { code: string; message: string } }> {
  const id = nextCallId++;
  return new Promise((resolve) => {
    const onMessage = (raw: WebSocket.RawData) => {
      const msg = JSON.parse(String(raw));
      if (msg.id === id) {
        ws.off('message', onMessage);
        resolve(msg.result);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, channel, input }));
  });
}
