// A desktop core synced through one `serve` process sees every change committed through another
// on the same PostgreSQL database (issue 16): the sync engine (electron/core) follows process A's
// /api/sync and event stream while two writers, one on A and one on B, commit concurrently; after
// each run the desktop's store must hold every request and team, with the status the database
// has. Only B's NOTIFY tells A about B's commits, so a lost fan-out (or a sync sequence that skips
// a change committed late) fails here. PostgreSQL only: on SQLite two processes can't share a store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemorySyncStore, SyncEngine } from '../../electron/core/sync/index.ts';
import { onlyOnPostgres } from '../postgres.ts';
import { apiFor, cleanupTempDirs, killAll, ServerProcess, uniq } from '../server/harness.ts';
import { clientFor, demoBackend, OLIVIA, RHEA, SAM, StatusLog, until, type Backend } from './helpers.ts';

const skip = onlyOnPostgres('two processes share a store only on PostgreSQL');

let a: Backend;
let b: ServerProcess;
let engine: SyncEngine | undefined;

before(async () => {
  if (skip) return;
  a = await demoBackend();
  // The demo's data dir already has its database, so this serve joins it (test/server/harness.ts).
  b = await new ServerProcess(a.dir).start();
});

after(async () => {
  await engine?.stop();
  await Promise.all([a?.server.stop(), b?.stop()]);
  killAll();
  cleanupTempDirs();
});

type Op = { via: 'A' | 'B'; kind: 'request' } | { via: 'A' | 'B'; kind: 'team' } | { via: 'A' | 'B'; kind: 'cancel'; which: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ via: fc.constantFrom('A' as const, 'B' as const), kind: fc.constant('request' as const) }),
  fc.record({ via: fc.constantFrom('A' as const, 'B' as const), kind: fc.constant('team' as const) }),
  fc.record({ via: fc.constantFrom('A' as const, 'B' as const), kind: fc.constant('cancel' as const), which: fc.nat(20) }),
);

test('a desktop synced through A sees every change committed through B, with concurrent writers on both', { skip, timeout: 240_000 }, async () => {
  const store = new MemorySyncStore();
  const log = new StatusLog();
  const token = () => a.token(RHEA);
  engine = new SyncEngine({ client: clientFor(a, RHEA), store, baseUrl: a.url(), token, onStatus: log.push, reconnect: { baseMs: 100, maxMs: 1000 } });
  await engine.start();
  assert.equal(engine.status.state, 'online', JSON.stringify(log.all));
  const production = await a.envId('production');
  const base = (via: 'A' | 'B') => (via === 'A' ? a.url() : b.url);
  let runs = 0;

  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), fc.array(op, { minLength: 1, maxLength: 12 }), async (one, two) => {
      const tag = uniq(`run${++runs}`);
      const requests: string[] = [];
      const teams: string[] = [];
      // Two writers at once, each sending its ops in order, each op to the process it names.
      const writer = async (ops: Op[], w: number) => {
        for (const [i, o] of ops.entries()) {
          if (o.kind === 'request') {
            const r = await apiFor(base(o.via), a.token(SAM)).post('/api/requests', {
              action: 'release.deploy',
              resource: { environmentId: production },
              justification: `${tag} ${w}.${i}`,
              payload: { revision: `${tag}-${w}-${i}` },
            });
            assert.equal(r.status, 201, r.text);
            requests.push((r.body as { request: { id: string } }).request.id);
          } else if (o.kind === 'team') {
            const r = await apiFor(base(o.via), a.token(OLIVIA)).post('/api/teams', { name: `${tag} ${w}.${i}` });
            assert.equal(r.status, 201, r.text);
            teams.push((r.body as { team: { id: string } }).team.id);
          } else if (requests.length > 0) {
            const id = requests[o.which % requests.length]!;
            const r = await apiFor(base(o.via), a.token(SAM)).post(`/api/requests/${id}/cancel`, {});
            // The other writer may have cancelled it first.
            assert.ok(r.status === 200 || r.status === 409, `cancel ${id}: ${r.status} ${r.text}`);
          }
        }
      };
      await Promise.all([writer(one, 1), writer(two, 2)]);
      // What the database holds now, read through B.
      const want = new Map<string, string>();
      for (const id of requests) {
        const r = await apiFor(b.url, a.token(OLIVIA)).get(`/api/requests/${id}`);
        assert.equal(r.status, 200, r.text);
        want.set(id, (r.body as { request: { status: string } }).request.status);
      }
      const behind = () => [
        ...[...want].filter(([id, status]) => (store.get('request', id) as { status?: string } | undefined)?.status !== status).map(([id]) => id),
        ...teams.filter((id) => store.get('team', id) === undefined),
      ];
      await until(() => behind().length === 0, 10_000, `the desktop on A catches up with ${requests.length} requests and ${teams.length} teams`).catch(
        (err: Error) => {
          throw new Error(`${err.message}; still behind: ${behind().join(', ')}`);
        },
      );
      await until(() => engine!.status.state === 'online', 5_000, 'the desktop stays online');
    }),
    { numRuns: 10 },
  );
});
