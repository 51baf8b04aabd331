// A benchmark organisation built through the API, as an owner would: a team of approvers, a
// project with an unprotected environment, and a policy on that environment that no request can
// ever satisfy (minApprovals 1000 > team size), so every request stays pending and every
// approval is one durable decision.
import { join } from 'node:path';
import { DB_FILE, openSqliteStore } from '../server/index.ts';
import { makeRequest, type Org } from '../electron/core/cache/fixtures.ts';
import type { RequestStatus } from '../shared/schemas/index.ts';
import { seededRandom } from '../shared/random.ts';
import { Api, guarded, startServer } from './helpers.ts';

export interface BenchOrg {
  teamId: string;
  projectId: string;
  environmentId: string;
  policyId: string;
  /** Members of the approvers team, in creation order. */
  approvers: { id: string; token: string }[];
  /** A member outside the team: files the requests, and may not approve them. */
  requester: { id: string; token: string };
}

export async function createOrg(api: Api, ownerToken: string, options: { approvers: number; concurrency?: number }): Promise<BenchOrg> {
  const { team } = await api.call('POST', '/api/teams', ownerToken, { name: 'bench-approvers' });
  const { project } = await api.call('POST', '/api/projects', ownerToken, { name: 'bench-project' });
  const { environment } = await api.call('POST', '/api/environments', ownerToken, { projectId: project.id, name: 'production', protection: 'none' });
  const { policy } = await api.call('POST', '/api/policies', ownerToken, {
    name: 'bench: never enough approvals',
    actions: ['release.deploy'],
    approvers: { teamIds: [team.id] },
    quorum: { minApprovals: 1000 },
  });
  await api.call('POST', '/api/bindings', ownerToken, { policyId: policy.id, scope: 'environment', targetId: environment.id });

  const created = await inParallel(options.approvers, options.concurrency ?? 8, (i) =>
    api.call<{ user: { id: string }; token: string }>('POST', '/api/users', ownerToken, {
      name: `Approver ${i}`,
      email: `approver${i}@bench.example`,
      orgRole: 'member',
      teamIds: [team.id],
    }),
  );
  const req = await api.call<{ user: { id: string }; token: string }>('POST', '/api/users', ownerToken, {
    name: 'Requester',
    email: 'requester@bench.example',
    orgRole: 'member',
  });
  return {
    teamId: team.id,
    projectId: project.id,
    environmentId: environment.id,
    policyId: policy.id,
    approvers: created.map((c) => ({ id: c.user.id, token: c.token })),
    requester: { id: req.user.id, token: req.token },
  };
}

/** POST /api/requests (release.deploy on the org's environment) as the requester; returns the request. */
export async function createPendingRequest(api: Api, org: BenchOrg, n: number): Promise<{ id: string; status: string; gates: unknown[] }> {
  const { request } = await api.call('POST', '/api/requests', org.requester.token, {
    action: 'release.deploy',
    resource: { environmentId: org.environmentId },
    justification: `bench request ${n}`,
    payload: { revision: `rev-${n}`, summary: 'benchmark deployment' },
  });
  if (request.status !== 'pending' || request.gates.length !== 1) {
    throw new Error(`expected a pending request with 1 gate, got status ${request.status} with ${request.gates.length} gates`);
  }
  return request;
}

/** Runs fn(0..count-1) with at most `concurrency` in flight; results in index order. */
export async function inParallel<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}

// ---- a year of requests, written straight through the store -------------------------------------

/**
 * The org of a store-seeded benchmark, through the API on a server of its own (stopped after):
 * `projects` projects with `environmentsPerProject` unprotected environments each; the owner is
 * its only user.
 */
export async function createStoreOrg(dataDir: string, ownerToken: string, size: { projects: number; environmentsPerProject: number }): Promise<Org> {
  const server = await startServer(dataDir);
  const api = new Api(server.base);
  try {
    return await guarded(
      server,
      (async () => {
        const { user } = await api.call<{ user: { id: string } }>('GET', '/api/me', ownerToken);
        const org: Org = { changes: [], userIds: [user.id], envIds: [], projectIds: [], envProject: new Map() };
        for (let p = 0; p < size.projects; p++) {
          const { project } = await api.call('POST', '/api/projects', ownerToken, { name: `project-${p}` });
          org.projectIds.push(project.id);
          for (let e = 0; e < size.environmentsPerProject; e++) {
            const { environment } = await api.call('POST', '/api/environments', ownerToken, {
              projectId: project.id,
              name: `env-${p}-${e}`,
              protection: 'none',
            });
            org.envIds.push(environment.id);
            org.envProject.set(environment.id, project.id);
          }
        }
        return org;
      })(),
    );
  } finally {
    api.close();
    await server.stop();
  }
}

const DECIDED: RequestStatus[] = ['approved', 'approved', 'approved', 'rejected', 'cancelled', 'expired'];

/**
 * `requests` realistic requests (cache/fixtures.ts makeRequest) written through the SQLite store in
 * one transaction, with the server stopped: 100k HTTP calls would take minutes and measure
 * something else. `pendingShare` of them pending, the rest decided; all expire far in the future,
 * so no sweeper expires them under a measurement.
 */
export async function seedRequests(
  dataDir: string,
  org: Org,
  o: { requests: number; pendingShare: number; seed: number },
  log: (line: string) => void,
): Promise<{ pending: number }> {
  log(`writing ${o.requests.toLocaleString('en-US')} requests through the store (server stopped)`);
  const store = openSqliteStore(join(dataDir, DB_FILE));
  const random = seededRandom(o.seed);
  let pending = 0;
  try {
    await store.transact(async (tx) => {
      for (let i = 0; i < o.requests; i++) {
        const status = random() < o.pendingShare ? 'pending' : DECIDED[Math.floor(random() * DECIDED.length)]!;
        if (status === 'pending') pending++;
        const request = { ...makeRequest(org, i, { status }), expiresAt: '2999-01-01T00:00:00.000Z' };
        await tx.insertRequest(request, undefined, undefined);
      }
    });
  } finally {
    await store.close();
  }
  return { pending };
}
