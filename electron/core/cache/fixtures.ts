// Realistic synced data for the cache's tests and bench/cache.ts: an organisation (users, teams,
// projects, clusters, environments, policies) and approval requests with 1–3 snapshotted gates,
// decisions and justifications, as /api/sync pages of SyncChange.
import { ACTIONS, type Action, type ApprovalRequest, type Gate, type RequestStatus, type SyncChange } from '../../../shared/schemas/index.ts';
import { seededRandom } from '../../../shared/random.ts';

export { seededRandom as rng } from '../../../shared/random.ts';

const FIRST = ['Ada', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'Edsger', 'Radia', 'Tim', 'Hedy'];
const LAST = ['Lovelace', 'Hopper', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Ritchie', 'Allen', 'Dijkstra', 'Perlman', 'Berners-Lee', 'Lamarr'];
const PROJECTS = ['api', 'web', 'billing', 'search', 'auth', 'mobile-gateway', 'ledger', 'notifications'];
const ENVS = ['production', 'staging', 'qa', 'canary'];
const VERBS = ['Deploy', 'Promote', 'Roll back', 'Restart', 'Scale', 'Apply manifest for', 'Issue token for', 'Sync'];
const WHY = [
  'hotfix for the checkout timeout seen in INC-{n}',
  'weekly release train, changelog in the PR',
  'customer escalation: enterprise tenant blocked on {n}',
  'security patch for CVE-2024-{n}',
  'rolling back the memory regression from yesterday',
  'scale up ahead of the marketing campaign',
  'config change requested by the data team (ticket OPS-{n})',
];

export interface Org {
  changes: SyncChange[];
  userIds: string[];
  envIds: string[];
  projectIds: string[];
  /** environment id → project id */
  envProject: Map<string, string>;
}

export function makeOrg(users = 60): Org {
  const changes: SyncChange[] = [];
  let seq = 0;
  const userIds: string[] = [];
  for (let i = 0; i < users; i++) {
    const id = `usr_${i}`;
    userIds.push(id);
    const name = `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`;
    changes.push({
      seq: ++seq,
      entity: 'user',
      id,
      op: 'upsert',
      data: {
        id,
        name,
        email: `u${i}@example.com`,
        orgRole: i === 0 ? 'owner' : i < 3 ? 'admin' : 'member',
        roles: i % 5 === 0 ? ['release-manager'] : [],
        teamIds: [`team_${i % 4}`],
      },
    });
  }
  for (let t = 0; t < 4; t++)
    changes.push({
      seq: ++seq,
      entity: 'team',
      id: `team_${t}`,
      op: 'upsert',
      data: { id: `team_${t}`, name: ['SRE', 'Platform', 'Payments', 'Security'][t] },
    });
  changes.push({ seq: ++seq, entity: 'cluster', id: 'cls_eu', op: 'upsert', data: { id: 'cls_eu', name: 'eu-west' } });
  const envIds: string[] = [];
  const projectIds: string[] = [];
  const envProject = new Map<string, string>();
  for (const p of PROJECTS) {
    const pid = `prj_${p}`;
    projectIds.push(pid);
    changes.push({ seq: ++seq, entity: 'project', id: pid, op: 'upsert', data: { id: pid, name: p } });
    for (const e of ENVS) {
      const eid = `env_${p}_${e}`;
      envIds.push(eid);
      envProject.set(eid, pid);
      changes.push({
        seq: ++seq,
        entity: 'environment',
        id: eid,
        op: 'upsert',
        data: {
          id: eid,
          projectId: pid,
          clusterId: 'cls_eu',
          name: e,
          protection: e === 'production' ? 'restricted' : 'none',
          reviewers: { userIds: ['usr_1'], teamIds: ['team_0'] },
        },
      });
    }
  }
  changes.push({
    seq: ++seq,
    entity: 'policy',
    id: 'pol_prod',
    op: 'upsert',
    data: {
      id: 'pol_prod',
      name: 'Two approvals for production',
      description: '',
      actions: ['release.deploy'],
      approvers: { userIds: [], teamIds: ['team_0', 'team_1'], orgRoles: ['release-manager'] },
      quorum: { minApprovals: 2, minDistinctTeams: 1, requiredUserIds: [], requiredTeamIds: [], requiredOrgRoles: [] },
      conditions: { environments: ['production'] },
      requesterCanApprove: false,
      adminBypass: false,
    },
  });
  changes.push({ seq: ++seq, entity: 'binding', id: 'bnd_prod', op: 'upsert', data: { id: 'bnd_prod', policyId: 'pol_prod', scope: 'organization' } });
  return { changes, userIds, envIds, projectIds, envProject };
}

function gate(i: number, envId: string, r: () => number): Gate {
  const restricted = i === 0 && r() < 0.5;
  return {
    id: restricted ? `restricted:${envId}` : `pol_${Math.floor(r() * 20)}`,
    kind: restricted ? 'restricted' : 'policy',
    ...(restricted ? { environmentId: envId } : { policyId: `pol_${Math.floor(r() * 20)}` }),
    name: restricted ? 'Restricted environment' : ['Two approvals for production', 'Off-hours deploys', 'Security sign-off', 'Release managers'][i % 4]!,
    approvers: { userIds: restricted ? ['usr_1'] : [], teamIds: ['team_0', 'team_1'].slice(0, 1 + (i % 2)), orgRoles: i % 2 ? ['release-manager'] : [] },
    quorum: { minApprovals: 1 + (i % 2), minDistinctTeams: i === 2 ? 2 : 0, requiredUserIds: [], requiredTeamIds: [], requiredOrgRoles: [] },
    requesterCanApprove: false,
    adminBypass: i === 1,
    requireReason: i === 0,
  };
}

const STATUSES: RequestStatus[] = ['pending', 'approved', 'approved', 'approved', 'rejected', 'cancelled', 'expired'];

export interface RequestOptions {
  status?: RequestStatus;
  action?: Action;
  environmentId?: string;
  projectId?: string;
  requesterId?: string;
  summary?: string;
  justification?: string;
  createdAt?: string;
  diffBytes?: number;
  digest?: string;
}

/** Request number `i` of an organisation; createdAt increases with i (one a minute). */
export function makeRequest(org: Org, i: number, o: RequestOptions = {}): ApprovalRequest {
  const r = seededRandom(i * 7919 + 1);
  const action = o.action ?? (r() < 0.55 ? 'release.deploy' : ACTIONS[Math.floor(r() * ACTIONS.length)]!);
  const envId = o.environmentId ?? org.envIds[Math.floor(r() * org.envIds.length)]!;
  const projectId = o.projectId ?? org.envProject.get(envId)!;
  const requesterId = o.requesterId ?? org.userIds[Math.floor(r() * org.userIds.length)]!;
  const status = o.status ?? STATUSES[Math.floor(r() * STATUSES.length)]!;
  const created = o.createdAt ?? new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString();
  const gates = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, g) => gate(g, envId, r));
  const decisionCount = status === 'pending' ? Math.floor(r() * 2) : 1 + Math.floor(r() * 2);
  const decisions = Array.from({ length: decisionCount }, (_, d) => ({
    userId: org.userIds[(i + d + 1) % org.userIds.length]!,
    kind: status === 'rejected' && d === decisionCount - 1 ? ('reject' as const) : ('approve' as const),
    ...(r() < 0.5 ? { comment: 'LGTM, checked the canary metrics' } : {}),
    reviewedDigest: `sha256:${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}`,
    at: new Date(Date.parse(created) + (d + 1) * 30_000).toISOString(),
  }));
  const rev = ((i * 2654435761) >>> 0).toString(16).padStart(8, '0') + ((i * 40503) >>> 0).toString(16).padStart(8, '0');
  const diffBytes = o.diffBytes ?? (action === 'release.deploy' || action === 'manifest.apply' ? 500 + Math.floor(r() * 200_000) : 0);
  return {
    id: `req_${String(i).padStart(7, '0')}`,
    action,
    resource: { projectId, environmentId: envId, clusterId: 'cls_eu' },
    requesterId,
    justification: o.justification ?? WHY[Math.floor(r() * WHY.length)]!.replace('{n}', String(1000 + (i % 9000))),
    payload: {
      revision: rev,
      summary: o.summary ?? `${VERBS[Math.floor(r() * VERBS.length)]} ${projectId.slice(4)} v${1 + (i % 7)}.${i % 40}.${i % 13}`,
      diffBytes,
      diffLines: Math.floor(diffBytes / 40),
    },
    digest: o.digest ?? `sha256:${rev}${rev}${rev}${rev}`,
    gates,
    decisions,
    status,
    warnings: [],
    nudges: [],
    createdAt: created,
    updatedAt: decisions.length ? decisions[decisions.length - 1]!.at : created,
    expiresAt: new Date(Date.parse(created) + 86_400_000).toISOString(),
  };
}

export function upsert<T extends { id: string }>(entity: SyncChange['entity'], data: T, seq = 0): SyncChange {
  return { seq, entity, id: data.id, op: 'upsert', data };
}

export function tombstone(entity: SyncChange['entity'], id: string, seq = 0): SyncChange {
  return { seq, entity, id, op: 'delete' };
}

/** `count` requests as sync pages of `pageSize` changes (each with its cursor), after the org page. */
export function* requestPages(org: Org, count: number, pageSize = 1000, from = 0): Generator<{ changes: SyncChange[]; cursor: number }> {
  let seq = org.changes.length + from;
  for (let start = from; start < from + count; start += pageSize) {
    const changes: SyncChange[] = [];
    for (let i = start; i < Math.min(from + count, start + pageSize); i++) changes.push(upsert('request', makeRequest(org, i), ++seq));
    yield { changes, cursor: seq };
  }
}
