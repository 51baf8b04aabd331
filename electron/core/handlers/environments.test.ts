// environment.update: the server's answer reaches the cache at once (the screen must not wait for
// the sync echo), and an offline core refuses before anything is sent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApprovalRequest, Environment, SyncChange } from '../../../shared/schemas/index.ts';
import { authorityGate } from '../../../shared/policy/index.ts';
import type { BackendClient, FreezeResult } from '../client/index.ts';
import { CoreError } from '../ipc/dispatch.ts';
import { environmentHandlers } from './environments.ts';

const env: Environment = { id: 'env_stg', projectId: 'prj_c', name: 'staging', protection: 'none', reviewers: { userIds: [], teamIds: ['team_sre'] } };
const request = {
  id: 'req_1',
  action: 'environment.policyUpdate',
  resource: { environmentId: 'env_stg' },
  requesterId: 'usr_rhea',
  justification: 'Change staging: protection restricted → none',
  payload: { summary: 'Change staging: protection restricted → none', diffBytes: 0, diffLines: 0 },
  digest: 'sha256:x',
  gates: [authorityGate('env_stg')],
  decisions: [],
  status: 'pending',
  warnings: [],
  nudges: [],
  createdAt: '2026-03-10T08:00:00.000Z',
  updatedAt: '2026-03-10T08:00:00.000Z',
  expiresAt: '2026-03-17T08:00:00.000Z',
} satisfies ApprovalRequest;

function setup(answer: FreezeResult | Error) {
  const applied: SyncChange[][] = [];
  const sent: unknown[] = [];
  const client = {
    updateEnvironment: async (id: string, body: unknown, key: string) => {
      sent.push({ id, body, keyed: key.length > 0 });
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as BackendClient;
  let offline = false;
  const handlers = environmentHandlers({
    cache: { cursor: () => 41, applyChanges: (changes) => void applied.push([...changes]) },
    connection: {
      online: () => {
        if (offline) throw new CoreError('offline', 'this needs the server, which is not reachable right now');
        return client;
      },
    },
  });
  return { handlers, applied, sent, goOffline: () => (offline = true) };
}

test('applied at once: the environment is upserted into the cache and returned', async () => {
  const { handlers, applied, sent } = setup({ status: 200, environment: env });
  assert.deepEqual(await handlers['environment.update']({ id: 'env_stg', protection: 'none' }), { environment: env });
  assert.deepEqual(sent, [{ id: 'env_stg', body: { protection: 'none' }, keyed: true }]);
  assert.deepEqual(applied, [[{ seq: 41, entity: 'environment', id: 'env_stg', op: 'upsert', data: env }]]);
});

test('held: the request is upserted (the environment is not touched) and returned', async () => {
  const { handlers, applied } = setup({ status: 202, request });
  assert.deepEqual(await handlers['environment.update']({ id: 'env_stg', protection: 'none' }), { request });
  assert.deepEqual(applied, [[{ seq: 41, entity: 'request', id: 'req_1', op: 'upsert', data: request }]]);
});

test('offline: refused with the offline error, nothing sent, nothing cached', async () => {
  const { handlers, applied, sent, goOffline } = setup({ status: 200, environment: env });
  goOffline();
  await assert.rejects(handlers['environment.update']({ id: 'env_stg', protection: 'none' }), (e: CoreError) => e.code === 'offline');
  assert.deepEqual(sent, []);
  assert.deepEqual(applied, []);
});

test('a refusal from the server changes nothing in the cache', async () => {
  const { handlers, applied } = setup(new Error('reviewers: a restricted environment needs at least one reviewer (user or team)'));
  await assert.rejects(handlers['environment.update']({ id: 'env_stg', protection: 'restricted' }), /reviewers/);
  assert.deepEqual(applied, []);
});
