// Builds a small organisation through the public API (never the store directly), so every test
// file starts from the same, realistic shape. Policies are always bound to environments created
// for one test, so tests in a file don't gate each other.
import {
  ClusterResponse,
  CreatedUserResponse,
  EnvironmentResponse,
  PolicyResponse,
  BindingResponse,
  ProjectResponse,
  RequestResponse,
  TeamResponse,
  UserResponse,
  type Action,
  type Environment,
  type Protection,
  type User,
} from '../../shared/schemas/index.ts';
import { after, before } from 'node:test';
import { apiFor, cleanupTempDirs, expectOk, initDir, killAll, startServer, uniq, type Api, type ServerProcess } from './harness.ts';

export interface TestUser extends User {
  token: string;
  api: Api;
}

export interface Org {
  owner: TestUser;
  admin: TestUser;
  /** members of team Alpha */
  m1: TestUser;
  m2: TestUser;
  /** member of team Beta */
  m3: TestUser;
  /** a member in no team, no roles */
  plain: TestUser;
  /** member with the release-manager role */
  rm: TestUser;
  /** member with the breakglass role */
  bg: TestUser;
  alpha: { id: string; name: string };
  beta: { id: string; name: string };
  projectId: string;
  clusterId: string;
  user(name: string, orgRole: 'owner' | 'admin' | 'member', extra?: { roles?: string[]; teamIds?: string[] }): Promise<TestUser>;
  team(name?: string): Promise<{ id: string; name: string }>;
  project(name?: string): Promise<string>;
  env(opts?: { protection?: Protection; reviewers?: { userIds?: string[]; teamIds?: string[] }; projectId?: string; name?: string }): Promise<Environment>;
  /** Creates a policy and binds it to the environment. */
  policyOn(
    envId: string,
    p: {
      actions: Action[];
      userIds?: string[];
      teamIds?: string[];
      orgRoles?: string[];
      minApprovals?: number;
      requireReason?: boolean;
      requesterCanApprove?: boolean;
      adminBypass?: boolean;
      name?: string;
    },
  ): Promise<{ policyId: string; bindingId: string }>;
  deploy(as: TestUser, envId: string, extra?: Record<string, unknown>): ReturnType<Api['post']>;
  /** Creates a request that must be created with the given status. */
  request(
    as: TestUser,
    envId: string,
    status: 'pending' | 'approved',
    extra?: Record<string, unknown>,
  ): Promise<import('../../shared/schemas/index.ts').ApprovalRequest>;
}

export async function setupOrg(base: () => string, ownerToken: string): Promise<Org> {
  const ownerApi = apiFor(base, ownerToken);
  const ownerUser = expectOk(await ownerApi.get('/api/me'), 200, UserResponse, 'GET /api/me').user;
  const owner: TestUser = { ...ownerUser, token: ownerToken, api: ownerApi };

  const team = async (name = uniq('team')) => expectOk(await ownerApi.post('/api/teams', { name }), 201, TeamResponse, 'POST /api/teams').team;
  const user: Org['user'] = async (name, orgRole, extra = {}) => {
    const r = expectOk(
      await ownerApi.post('/api/users', { name, email: `${uniq('u')}@example.com`, orgRole, ...extra }),
      201,
      CreatedUserResponse,
      'POST /api/users',
    );
    return { ...r.user, token: r.token, api: apiFor(base, r.token) };
  };
  const project = async (name = uniq('prj')) => expectOk(await ownerApi.post('/api/projects', { name }), 201, ProjectResponse, 'POST /api/projects').project.id;

  const alpha = await team('Alpha');
  const beta = await team('Beta');
  const admin = await user('Ada Admin', 'admin');
  const m1 = await user('Mo One', 'member', { teamIds: [alpha.id] });
  const m2 = await user('Mia Two', 'member', { teamIds: [alpha.id] });
  const m3 = await user('Max Three', 'member', { teamIds: [beta.id] });
  const plain = await user('Pat Plain', 'member');
  const rm = await user('Rhea Release', 'member', { roles: ['release-manager'] });
  const bg = await user('Ines Incident', 'member', { roles: ['breakglass'], teamIds: [alpha.id] });
  const projectId = await project('checkout');
  const clusterId = expectOk(await ownerApi.post('/api/clusters', { name: 'prod-eu-1' }), 201, ClusterResponse, 'POST /api/clusters').cluster.id;

  const env: Org['env'] = async (opts = {}) =>
    expectOk(
      await ownerApi.post('/api/environments', {
        projectId: opts.projectId ?? projectId,
        name: opts.name ?? uniq('env'),
        protection: opts.protection ?? 'none',
        reviewers: { userIds: opts.reviewers?.userIds ?? [], teamIds: opts.reviewers?.teamIds ?? [] },
      }),
      201,
      EnvironmentResponse,
      'POST /api/environments',
    ).environment;

  const policyOn: Org['policyOn'] = async (envId, p) => {
    const policy = expectOk(
      await ownerApi.post('/api/policies', {
        name: p.name ?? uniq('policy'),
        actions: p.actions,
        approvers: { userIds: p.userIds ?? [], teamIds: p.teamIds ?? [], orgRoles: p.orgRoles ?? [] },
        quorum: { minApprovals: p.minApprovals ?? 1 },
        ...(p.requireReason !== undefined ? { conditions: { requireReason: p.requireReason } } : {}),
        ...(p.requesterCanApprove !== undefined ? { requesterCanApprove: p.requesterCanApprove } : {}),
        ...(p.adminBypass !== undefined ? { adminBypass: p.adminBypass } : {}),
      }),
      201,
      PolicyResponse,
      'POST /api/policies',
    ).policy;
    const binding = expectOk(
      await ownerApi.post('/api/bindings', { policyId: policy.id, scope: 'environment', targetId: envId }),
      201,
      BindingResponse,
      'POST /api/bindings',
    ).binding;
    return { policyId: policy.id, bindingId: binding.id };
  };

  const deploy: Org['deploy'] = (as, envId, extra = {}) =>
    as.api.post('/api/requests', {
      action: 'release.deploy',
      resource: { environmentId: envId },
      justification: 'routine release',
      payload: { revision: 'abc123' },
      ...extra,
    });

  const request: Org['request'] = async (as, envId, status, extra = {}) => {
    const r = expectOk(await deploy(as, envId, extra), 201, RequestResponse, 'POST /api/requests').request;
    if (r.status !== status) throw new Error(`expected a ${status} request, got ${r.status}`);
    return r;
  };

  return { owner, admin, m1, m2, m3, plain, rm, bg, alpha, beta, projectId, clusterId, user, team, project, env, policyOn, deploy, request };
}

/** One server with a set-up org for a whole test file: started before, stopped after. */
export function useOrgServer(set: (server: ServerProcess, org: Org) => void): void {
  let server: ServerProcess | undefined;
  before(async () => {
    const { dir, ownerToken } = await initDir();
    const started = await startServer(dir);
    server = started;
    set(started, await setupOrg(() => started.url, ownerToken));
  });
  after(async () => {
    await server?.stop();
    killAll();
    cleanupTempDirs();
  });
}
