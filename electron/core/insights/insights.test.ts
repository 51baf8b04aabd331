import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApprovalRequest, BreakGlassSession, Environment, Team, User } from '../../../shared/schemas/index.ts';
import { computeInsights } from './insights.ts';

const now = new Date('2026-11-20T12:00:00.000Z');
const min = 60_000;
const at = (base: string, plusMin: number) => new Date(Date.parse(base) + plusMin * min).toISOString();

function request(
  id: string,
  createdAt: string,
  status: ApprovalRequest['status'],
  decisions: [user: string, afterMin: number][],
  env = 'env_prod',
): ApprovalRequest {
  return {
    id,
    action: 'release.deploy',
    resource: { environmentId: env, projectId: 'prj_1' },
    requesterId: 'usr_dev',
    justification: `ship ${id}`,
    payload: { diffBytes: 0, diffLines: 0, summary: `summary ${id}` },
    digest: 'd',
    gates: [],
    decisions: decisions.map(([userId, after]) => ({ userId, kind: 'approve' as const, at: at(createdAt, after) })),
    status,
    warnings: [],
    nudges: [],
    createdAt,
    updatedAt: createdAt,
    expiresAt: at(createdAt, 7 * 24 * 60),
  };
}

const users = new Map<string, User>([
  ['usr_sre', { id: 'usr_sre', name: 'Sam', email: 's@x.io', orgRole: 'member', roles: [], teamIds: ['team_sre'] }],
  ['usr_sec', { id: 'usr_sec', name: 'Lena', email: 'l@x.io', orgRole: 'member', roles: [], teamIds: ['team_sec', 'team_sre'] }],
]);
const teams = new Map<string, Team>([
  ['team_sre', { id: 'team_sre', name: 'SRE' }],
  ['team_sec', { id: 'team_sec', name: 'Security' }],
]);
const environments = new Map<string, Environment>([
  ['env_prod', { id: 'env_prod', projectId: 'prj_1', name: 'production', protection: 'restricted', reviewers: { userIds: [], teamIds: [] } }],
]);

test('first review and quorum latencies, p50/p90, per day, environment and first reviewer team', () => {
  const day = '2026-11-19T09:00:00.000Z';
  const requests = [
    request('req_a', day, 'approved', [
      ['usr_sre', 10],
      ['usr_sec', 30],
    ]),
    request('req_b', day, 'approved', [
      ['usr_sec', 20],
      ['usr_sre', 60],
    ]),
    request('req_c', day, 'pending', [['usr_sre', 40]]),
    request('req_d', '2026-11-18T09:00:00.000Z', 'pending', []),
    request('req_old', '2026-09-01T09:00:00.000Z', 'approved', [['usr_sre', 5]]),
  ];
  const ins = computeInsights(requests, { users, teams, environments }, now, 7);
  assert.equal(ins.overall.reviewed, 3);
  assert.equal(ins.overall.approved, 2);
  assert.equal(ins.overall.firstReviewP50Ms, 20 * min);
  assert.equal(ins.overall.firstReviewP90Ms, 40 * min);
  assert.equal(ins.overall.quorumP50Ms, 30 * min);
  assert.equal(ins.overall.quorumP90Ms, 60 * min);
  const d19 = ins.byDay.find((d) => d.day === '2026-11-19')!;
  assert.equal(d19.reviewed, 3);
  assert.equal(ins.byDay.find((d) => d.day === '2026-11-18')!.reviewed, 0);
  assert.equal(ins.byDay.length, 8);
  assert.deepEqual(
    ins.byEnvironment.map((e) => [e.name, e.reviewed]),
    [['production', 3]],
  );
  const sre = ins.byTeam.find((t) => t.name === 'SRE')!;
  const sec = ins.byTeam.find((t) => t.name === 'Security')!;
  assert.equal(sre.reviewed, 3, 'Lena is in SRE too: her first reviews count for both her teams');
  assert.equal(sec.reviewed, 1);
  assert.deepEqual(
    ins.oldestWaiting.map((o) => o.id),
    ['req_d', 'req_c'],
  );
  assert.equal(ins.oldestWaiting[0]!.ageMs, now.getTime() - Date.parse('2026-11-18T09:00:00.000Z'));
});

test('no data gives nulls, not zeros', () => {
  const ins = computeInsights([], { users, teams, environments }, now, 30);
  assert.equal(ins.overall.firstReviewP50Ms, null);
  assert.equal(ins.overall.quorumP90Ms, null);
  assert.deepEqual(ins.oldestWaiting, []);
});

test('sessions awaiting review: ended (revoked, expired, or past expiresAt unswept) and unreviewed, the longest-waiting first', () => {
  const session = (id: string, startedAt: string, extra: Partial<BreakGlassSession> = {}): BreakGlassSession => ({
    id,
    userId: 'usr_ic',
    reason: `incident ${id}`,
    scope: { actions: ['rollback.execute'] },
    startedAt,
    expiresAt: at(startedAt, 60),
    ...extra,
  });
  const sessions = [
    session('bg_revoked', '2026-11-20T08:00:00.000Z', { endedAt: '2026-11-20T08:20:00.000Z', endedBy: 'usr_ic' }),
    session('bg_unswept', '2026-11-20T10:00:00.000Z'),
    session('bg_expired', '2026-11-18T08:00:00.000Z', { endedAt: '2026-11-18T09:00:00.000Z', endedBy: 'system' }),
    session('bg_active', '2026-11-20T11:30:00.000Z'),
    session('bg_reviewed', '2026-11-17T08:00:00.000Z', {
      endedAt: '2026-11-17T08:30:00.000Z',
      endedBy: 'usr_ic',
      review: { by: 'usr_aud', at: '2026-11-17T10:00:00.000Z', verdict: 'justified', notes: 'real incident' },
    }),
  ];
  const ins = computeInsights([], { users, teams, environments }, now, 30, sessions);
  assert.deepEqual(
    ins.awaitingReview.map((s) => [s.id, s.endedAt, s.ageMs]),
    [
      ['bg_expired', '2026-11-18T09:00:00.000Z', now.getTime() - Date.parse('2026-11-18T09:00:00.000Z')],
      ['bg_revoked', '2026-11-20T08:20:00.000Z', 3 * 60 * min + 40 * min],
      ['bg_unswept', '2026-11-20T11:00:00.000Z', 60 * min],
    ],
  );
});
