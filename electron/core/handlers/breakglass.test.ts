// breakglass.get reads a session and what was done under it from the cache; breakglass.review
// needs the server (the connection's "offline" error reaches the console as it is) and puts the
// reviewed session in the cache at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApprovalRequest, BreakGlassSession, SyncChange } from '../../../shared/schemas/index.ts';
import type { BackendClient } from '../client/index.ts';
import type { Cache } from '../cache/index.ts';
import { CoreError } from '../ipc/dispatch.ts';
import { breakGlassHandlers } from './breakglass.ts';

const session: BreakGlassSession = {
  id: 'bg_1',
  userId: 'usr_ines',
  reason: 'INC-1: checkout down',
  scope: { actions: ['rollback.execute'] },
  startedAt: '2026-03-10T02:00:00.000Z',
  expiresAt: '2026-03-10T03:00:00.000Z',
  endedAt: '2026-03-10T02:30:00.000Z',
  endedBy: 'usr_ines',
};

const request = (id: string, createdAt: string, breakGlassSessionId?: string): ApprovalRequest => ({
  id,
  action: 'rollback.execute',
  resource: { environmentId: 'env_prod' },
  requesterId: 'usr_ines',
  justification: 'roll back',
  payload: { diffBytes: 0, diffLines: 0 },
  digest: 'd',
  gates: [],
  decisions: [],
  status: 'approved',
  warnings: [],
  nudges: [],
  ...(breakGlassSessionId ? { breakGlassSessionId } : {}),
  createdAt,
  updatedAt: createdAt,
  expiresAt: createdAt,
});

function fakeCache(applied: SyncChange[]): Cache {
  const requests = [
    request('req_b', '2026-03-10T02:20:00.000Z', 'bg_1'),
    request('req_x', '2026-03-10T02:05:00.000Z'),
    request('req_a', '2026-03-10T02:10:00.000Z', 'bg_1'),
  ];
  return {
    get: (entity: string, id: string) => (entity === 'breakglass' && id === 'bg_1' ? session : undefined),
    list: (entity: string) => (entity === 'request' ? requests : []),
    cursor: () => 7,
    applyChanges: (changes: SyncChange[]) => void applied.push(...changes),
  } as unknown as Cache;
}

test('breakglass.get: the session and only the requests made under it, oldest first; unknown is not_found', async () => {
  const h = breakGlassHandlers({ cache: fakeCache([]), connection: { online: () => assert.fail('get never needs the server') } });
  const { session: s, requests } = await h['breakglass.get']({ id: 'bg_1' });
  assert.equal(s.id, 'bg_1');
  assert.deepEqual(
    requests.map((r) => r.id),
    ['req_a', 'req_b'],
  );
  await assert.rejects(h['breakglass.get']({ id: 'bg_nope' }), (e: unknown) => e instanceof CoreError && e.code === 'not_found');
});

test('breakglass.review: offline is the connection’s clear error, and nothing is cached', async () => {
  const applied: SyncChange[] = [];
  const h = breakGlassHandlers({
    cache: fakeCache(applied),
    connection: {
      online: () => {
        throw new CoreError('offline', 'this needs the server, which is not reachable right now');
      },
    },
  });
  await assert.rejects(
    h['breakglass.review']({ id: 'bg_1', verdict: 'justified', notes: 'real incident' }),
    (e: unknown) => e instanceof CoreError && e.code === 'offline',
  );
  assert.deepEqual(applied, []);
});

test('breakglass.review: sends the verdict with an idempotency key and caches the reviewed session', async () => {
  const applied: SyncChange[] = [];
  const sent: unknown[] = [];
  const reviewed = { ...session, review: { by: 'usr_aisha', at: '2026-03-10T09:00:00.000Z', verdict: 'justified' as const, notes: 'real incident' } };
  const client = {
    reviewBreakGlass: async (id: string, body: unknown, key: string) => {
      sent.push([id, body, typeof key === 'string' && key.length > 0]);
      return reviewed;
    },
  } as unknown as BackendClient;
  const h = breakGlassHandlers({ cache: fakeCache(applied), connection: { online: () => client } });
  const out = await h['breakglass.review']({ id: 'bg_1', verdict: 'justified', notes: 'real incident' });
  assert.deepEqual(out.session, reviewed);
  assert.deepEqual(sent, [['bg_1', { verdict: 'justified', notes: 'real incident' }, true]]);
  assert.deepEqual(applied, [{ seq: 7, entity: 'breakglass', id: 'bg_1', op: 'upsert', data: reviewed }]);
});
