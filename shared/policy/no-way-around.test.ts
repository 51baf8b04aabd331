// Property: no request is approved while a gate the rules say applies is unmet. For random
// organisations (environments on clusters, some locked or Restricted), policies bound at every
// level (with or without an environments condition), requesters of every role, break-glass
// sessions with any scope, and random resources (consistent or not), the server's path — the
// resource check, then the engine — either refuses, or holds the request with every gate that
// applies, or lets it through only when nothing applies or a covering break-glass session or an
// admin bypass explains it.
//
// The expectations are computed here, from the rules as written (docs/policies.md), not by
// calling the engine's helpers. What this covers: resource consistency, locks (deploy-like and
// cluster actions), Restricted, bindings at all four levels, environments conditions, admin
// bypass and break-glass scopes. What it does not: hour and weekday conditions, reasons (the
// justification is never blank here), deciding (progress has its own property test), and the
// store lookups (unknown ids are refused before this point; the HTTP tests cover them).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ACTIONS,
  CLUSTER_ACTIONS,
  DEPLOY_LIKE_ACTIONS,
  type Action,
  type Binding,
  type BreakGlassSession,
  type Environment,
  type Policy,
  type Resource,
  type User,
} from '../schemas/index.ts';
import { evaluateAction } from './evaluate-action.ts';
import { checkResource } from './resources.ts';
import { MONDAY_10_UTC, policy, session, user } from './testing.ts';

const CLUSTERS = ['cl_a', 'cl_b'] as const;
const PROJECTS = ['prj_x', 'prj_y'] as const;
const ENV_IDS = ['env_1', 'env_2', 'env_3', 'env_4'] as const;
const ENV_NAMES = ['dev', 'staging', 'production'] as const;
// Actions with their own routes go through the same engine; include them all.
const ALL: readonly Action[] = ACTIONS;

const arbEnvironments = fc
  .tuple(
    ...ENV_IDS.map(() =>
      fc.record({
        projectId: fc.constantFrom(...PROJECTS),
        clusterId: fc.option(fc.constantFrom(...CLUSTERS), { nil: undefined }),
        name: fc.constantFrom(...ENV_NAMES),
        protection: fc.constantFrom('none', 'restricted', 'locked' as const),
      }),
    ),
  )
  .map((list) =>
    list.map(
      (e, i): Environment => ({
        id: ENV_IDS[i]!,
        projectId: e.projectId,
        ...(e.clusterId !== undefined ? { clusterId: e.clusterId } : {}),
        name: e.name,
        protection: e.protection,
        reviewers: { userIds: ['rev'], teamIds: [] },
      }),
    ),
  );

const arbPolicies = fc
  .array(
    fc.record({
      actions: fc.subarray([...ALL], { minLength: 1 }),
      environments: fc.option(fc.subarray([...ENV_NAMES], { minLength: 1 }), { nil: undefined }),
      adminBypass: fc.boolean(),
    }),
    { maxLength: 4 },
  )
  .map((ps) =>
    ps.map(
      (p, i): Policy =>
        policy(`pol_${i}`, {
          actions: p.actions,
          approvers: { userIds: ['rev'], teamIds: [], orgRoles: [] },
          conditions: p.environments ? { environments: p.environments } : {},
          adminBypass: p.adminBypass,
        }),
    ),
  );

const arbBinding = (policyId: string) =>
  fc.oneof(
    fc.constant<Binding>({ id: `b_${policyId}_org`, policyId, scope: 'organization' }),
    fc.constantFrom(...PROJECTS).map((t): Binding => ({ id: `b_${policyId}_p_${t}`, policyId, scope: 'project', targetId: t })),
    fc.constantFrom(...CLUSTERS).map((t): Binding => ({ id: `b_${policyId}_c_${t}`, policyId, scope: 'cluster', targetId: t })),
    fc.constantFrom(...ENV_IDS).map((t): Binding => ({ id: `b_${policyId}_e_${t}`, policyId, scope: 'environment', targetId: t })),
  );

const arbRequester = fc
  .record({ orgRole: fc.constantFrom('owner', 'admin', 'member' as const), roles: fc.subarray(['release-manager', 'breakglass', 'auditor']) })
  .map((r): User => user('rick', r));

const arbSessions = fc
  .array(
    fc.record({
      actions: fc.subarray([...ALL], { minLength: 1 }),
      environmentIds: fc.option(fc.subarray([...ENV_IDS]), { nil: undefined }),
      active: fc.boolean(),
    }),
    { maxLength: 2 },
  )
  .map((ss) =>
    ss.map(
      (s, i): BreakGlassSession =>
        session(`bg_${i}`, {
          scope: { actions: s.actions, ...(s.environmentIds ? { environmentIds: s.environmentIds } : {}) },
          ...(s.active ? {} : { endedAt: '2024-06-03T09:30:00Z', endedBy: 'rick' }),
        }),
    ),
  );

const arbResource = fc.record({
  environmentId: fc.option(fc.constantFrom(...ENV_IDS), { nil: undefined }),
  projectId: fc.option(fc.constantFrom(...PROJECTS), { nil: undefined }),
  clusterId: fc.option(fc.constantFrom(...CLUSTERS), { nil: undefined }),
});

const isAdmin = (u: User) => u.orgRole === 'owner' || u.orgRole === 'admin';
const deployLike = (a: Action) => DEPLOY_LIKE_ACTIONS.includes(a);
const clusterAction = (a: Action) => CLUSTER_ACTIONS.includes(a);

describe('no way around a gate (property)', () => {
  it('every request either is refused, or waits for every gate that applies, or is explained by break-glass or admin bypass', () => {
    fc.assert(
      fc.property(
        arbEnvironments,
        arbPolicies.chain((ps) => fc.tuple(fc.constant(ps), fc.tuple(...ps.map((p) => fc.array(arbBinding(p.id), { minLength: 0, maxLength: 2 }))))),
        arbRequester,
        arbSessions,
        fc.constantFrom(...ALL),
        arbResource,
        (envs, [policies, bindingLists], requester, sessions, action, raw) => {
          const bindings = bindingLists.flat();
          const resource: Resource = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
          const env = envs.find((e) => e.id === resource.environmentId);

          // 1. Consistency, as the rules state it.
          const inconsistent =
            (env !== undefined && resource.projectId !== undefined && resource.projectId !== env.projectId) ||
            (env !== undefined && resource.clusterId !== undefined && resource.clusterId !== env.clusterId) ||
            (deployLike(action) && env === undefined) ||
            (clusterAction(action) && (env?.clusterId ?? resource.clusterId) === undefined);
          const checked = checkResource(action, resource, env);
          assert.equal(!checked.ok, inconsistent, `resource check for ${action} ${JSON.stringify(resource)}`);
          if (!checked.ok) return;
          const r = checked.resource;

          const evaluation = evaluateAction({
            action,
            resource: r,
            requester,
            justification: 'because',
            now: MONDAY_10_UTC,
            ...(env ? { environment: env } : {}),
            environments: envs,
            policies,
            bindings,
            breakGlassSessions: sessions,
          });

          // 2. The environments the action touches: all of its cluster's for a cluster action.
          const touched = clusterAction(action) ? envs.filter((e) => e.clusterId === r.clusterId) : env ? [env] : [];

          // 3. A covering break-glass session explains anything.
          const covering = sessions.find(
            (s) =>
              s.endedAt === undefined &&
              s.scope.actions.includes(action) &&
              (s.scope.environmentIds === undefined ||
                (clusterAction(action)
                  ? touched.length > 0 && touched.every((e) => s.scope.environmentIds!.includes(e.id))
                  : env !== undefined && s.scope.environmentIds.includes(env.id))),
          );
          if (covering) {
            assert.equal(evaluation.outcome, 'warn');
            assert.equal(evaluation.breakGlassSessionId, covering.id);
            return;
          }
          assert.equal(evaluation.breakGlassSessionId, undefined, 'a session that does not cover the action is not used');

          // 4. A lock on a touched environment refuses deploy-like and cluster actions to non-admins.
          const locked = (deployLike(action) || clusterAction(action)) && touched.some((e) => e.protection === 'locked');
          if (locked && !isAdmin(requester)) {
            assert.equal(evaluation.outcome, 'deny');
            assert.equal(evaluation.deny?.status, 423);
            return;
          }

          // 5. Every gate that applies: a policy for the action, bound over the resource itself or
          //    over a touched environment, whose environments condition holds there; Restricted
          //    for a deploy-like action on a Restricted environment.
          const contexts: (Environment | undefined)[] = clusterAction(action) ? [undefined, ...touched] : [env];
          const boundOver = (b: Binding, e: Environment | undefined) =>
            b.scope === 'organization' ||
            (b.scope === 'project' && (b.targetId === r.projectId || b.targetId === e?.projectId)) ||
            (b.scope === 'cluster' && (b.targetId === r.clusterId || b.targetId === e?.clusterId)) ||
            (b.scope === 'environment' && e !== undefined && b.targetId === e.id);
          const applies = policies.filter(
            (p) =>
              p.actions.includes(action) &&
              contexts.some(
                (e) =>
                  bindings.some((b) => b.policyId === p.id && boundOver(b, e)) &&
                  (p.conditions.environments === undefined || (e !== undefined && p.conditions.environments.includes(e.name))),
              ),
          );
          const mustWait = applies.filter((p) => !(isAdmin(requester) && p.adminBypass)).map((p) => p.id);
          const restricted = deployLike(action) && env?.protection === 'restricted' && !isAdmin(requester);
          // A protection change by anyone but an owner or admin always waits for one of them.
          const authority = action === 'environment.policyUpdate' && !isAdmin(requester);

          if (mustWait.length > 0 || restricted || authority) {
            assert.equal(evaluation.outcome, 'pending', `${action} on ${JSON.stringify(r)} by ${requester.orgRole} must wait for ${mustWait.join(', ')}`);
            const got = new Set(evaluation.gates.map((g) => g.policyId ?? g.id));
            for (const id of mustWait) assert.ok(got.has(id), `gate ${id} is held`);
            if (restricted)
              assert.ok(
                evaluation.gates.some((g) => g.kind === 'restricted'),
                'the Restricted gate is held',
              );
            if (authority)
              assert.ok(
                evaluation.gates.some((g) => g.kind === 'authority' && g.approvers.orgRoles.includes('owner') && !g.requesterCanApprove),
                'the owner-or-admin gate is held',
              );
          } else {
            assert.notEqual(evaluation.outcome, 'pending', 'nothing applies: not held');
            assert.notEqual(evaluation.outcome, 'deny');
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
