// The demo organisation: every role, three projects with dev/staging/production, policies of
// every shape (always on in production, off-hours, one project's production only, cluster
// operations, credential issue, unfreeze review), a month of decided history and a dozen pending
// requests with real-looking diffs. docs/policies.md ("The demo organisation") describes it.
import { patchSettings } from '../domain/org-settings.ts';
import type { Action, ApprovalRequest, OrgRole, Policy, User } from '../../shared/schemas/index.ts';
import type { ServiceContext } from '../domain/context.ts';
import { createBinding, createNamed, createPolicy, createUser } from '../domain/directory.ts';
import { createEnvironment } from '../domain/environments.ts';
import { revokeBreakGlass, startBreakGlass } from '../domain/breakglass.ts';
import { cancel, decide, submitRequest } from '../domain/requests.ts';
import { canApprove } from '../../shared/policy/index.ts';
import { appliedValue, type Result } from '../domain/result.ts';
import type { StoreTx } from '../store/types.ts';
import { configChange, deploymentImageBump, largeManifestChange, rbacAndSecretChange, terraformPlan } from './diffs.ts';

export interface DemoUser {
  email: string;
  orgRole: OrgRole;
  token: string;
  user: User;
}

import { DEMO_RELEASE_MANAGER_EMAIL } from '../constants.ts';
import { seededRandom } from '../../shared/random.ts';

const PEOPLE: { key: string; name: string; email: string; orgRole: OrgRole; roles?: string[]; teams: string[] }[] = [
  { key: 'owner', name: 'Olivia Hart', email: 'olivia.hart@example.com', orgRole: 'owner', teams: [] },
  { key: 'admin', name: 'Adam Kowalski', email: 'adam.kowalski@example.com', orgRole: 'admin', teams: ['Platform'] },
  { key: 'rm', name: 'Rhea Manning', email: DEMO_RELEASE_MANAGER_EMAIL, orgRole: 'member', roles: ['release-manager'], teams: ['Release'] },
  { key: 'sre1', name: 'Sam Ortiz', email: 'sam.ortiz@example.com', orgRole: 'member', teams: ['SRE'] },
  { key: 'sre2', name: 'Priya Nair', email: 'priya.nair@example.com', orgRole: 'member', roles: ['tech-lead'], teams: ['SRE'] },
  { key: 'sec1', name: 'Lena Fischer', email: 'lena.fischer@example.com', orgRole: 'member', teams: ['Security'] },
  // In two teams on purpose: counts for one team in a distinct-teams quorum.
  { key: 'sec2', name: 'Omar Haddad', email: 'omar.haddad@example.com', orgRole: 'member', teams: ['Security', 'SRE'] },
  { key: 'dev1', name: 'Dev Patel', email: 'dev.patel@example.com', orgRole: 'member', teams: ['Developers'] },
  { key: 'dev2', name: 'Mia Chen', email: 'mia.chen@example.com', orgRole: 'member', roles: ['tech-lead'], teams: ['Developers'] },
  { key: 'dev3', name: 'Jonas Berg', email: 'jonas.berg@example.com', orgRole: 'member', teams: ['Developers'] },
  { key: 'ic', name: 'Ines Duarte', email: 'ines.duarte@example.com', orgRole: 'member', roles: ['breakglass'], teams: ['SRE'] },
  // Reviews break-glass sessions; files and approves nothing.
  { key: 'auditor', name: 'Aisha Rahman', email: 'aisha.rahman@example.com', orgRole: 'member', roles: ['auditor'], teams: [] },
];

const DEPLOY_LIKE: Action[] = ['release.deploy', 'promotion.execute', 'rollback.execute', 'manifest.apply'];
const CLUSTER_OPS: Action[] = [
  'cluster.sync',
  'cluster.rollback',
  'cluster.restart',
  'cluster.scale',
  'manifest.apply',
  'command.execute',
  'resource.delete',
  'token.issue',
];

/** Days of decided requests before today, so insights and the audit log have a history. */
const HISTORY_DAYS = 30;
const HOUR = 3_600_000;

export async function buildDemo(base: ServiceContext): Promise<DemoUser[]> {
  const { store } = base;
  // The demo's own clock: the organisation is set up a month ago, the history walks forward to
  // today, and the open requests are filed now — so the audit log reads in time order.
  const realNow = base.now();
  let clock = new Date(realNow.getTime() - (HISTORY_DAYS + 1) * 24 * HOUR);
  const ctx: ServiceContext = { ...base, now: () => clock };
  return store.transact(async (tx) => {
    // The demo's own actions are never held or refused, so every result carries its value.
    const value = <T>(r: Result<T>): T => appliedValue(r)!;
    const owner = value(await createUser(ctx, tx, 'system', { name: PEOPLE[0]!.name, email: PEOPLE[0]!.email, orgRole: 'owner' }, 'demo'));
    const actor = owner.user;

    const teams = new Map<string, string>();
    for (const name of ['Platform', 'Release', 'SRE', 'Security', 'Developers']) {
      teams.set(name, value(await createNamed(ctx, tx, actor, 'team', { name })).id);
    }
    // The security team hears of every break-glass start (seed 001).
    value(await patchSettings(ctx, tx, actor, { securityTeamIds: [teams.get('Security')!] }));
    const users = new Map<string, DemoUser>([['owner', { email: owner.user.email, orgRole: 'owner', token: owner.token, user: owner.user }]]);
    for (const p of PEOPLE.slice(1)) {
      const { user, token } = value(
        await createUser(
          ctx,
          tx,
          actor,
          {
            name: p.name,
            email: p.email,
            orgRole: p.orgRole,
            roles: p.roles ?? [],
            teamIds: p.teams.map((t) => teams.get(t)!),
          },
          'demo',
        ),
      );
      users.set(p.key, { email: p.email, orgRole: p.orgRole, token, user });
    }
    const u = (key: string) => users.get(key)!.user;

    const clusters = new Map<string, string>();
    for (const name of ['dev-1', 'staging-eu-1', 'prod-eu-1']) clusters.set(name, value(await createNamed(ctx, tx, actor, 'cluster', { name })).id);

    const envs = new Map<string, string>();
    const projects = new Map<string, string>();
    for (const name of ['checkout', 'payments', 'search']) {
      const projectId = value(await createNamed(ctx, tx, actor, 'project', { name })).id;
      projects.set(name, projectId);
      const layout = [
        { env: 'dev', cluster: 'dev-1', protection: 'none' as const, reviewers: { userIds: [], teamIds: [] } },
        {
          env: 'staging',
          cluster: 'staging-eu-1',
          protection: 'restricted' as const,
          reviewers: { userIds: [], teamIds: [teams.get('SRE')!, teams.get('Developers')!] },
        },
        { env: 'production', cluster: 'prod-eu-1', protection: 'restricted' as const, reviewers: { userIds: [u('rm').id], teamIds: [teams.get('SRE')!] } },
      ];
      for (const l of layout) {
        const env = await createEnvironment(ctx, tx, actor, {
          projectId,
          name: l.env,
          clusterId: clusters.get(l.cluster)!,
          protection: l.protection,
          reviewers: l.reviewers,
        });
        envs.set(`${name}/${l.env}`, value(env).id);
      }
    }

    const policy = async (
      p: Omit<Policy, 'id' | 'description' | 'conditions' | 'adminBypass'> & Partial<Policy>,
      bind: { scope: 'organization' | 'project' | 'cluster' | 'environment'; targetId?: string }[],
    ) => {
      const created = value(await createPolicy(ctx, tx, actor, p));
      for (const b of bind) await createBinding(ctx, tx, actor, { policyId: created.id, ...b });
      return created;
    };
    const approvers = (teamNames: string[], orgRoles: string[] = ['release-manager']) => ({
      userIds: [],
      teamIds: teamNames.map((t) => teams.get(t)!),
      orgRoles,
    });
    const quorum = (minApprovals: number, extra: Partial<Policy['quorum']> = {}) => ({
      minApprovals,
      minDistinctTeams: 0,
      requiredUserIds: [],
      requiredTeamIds: [],
      requiredOrgRoles: [],
      ...extra,
    });

    // Always on: bound to every production environment, whatever the hour.
    await policy(
      {
        name: 'Production Deploy Gate',
        description: 'Two approvals, one from SRE, before anything ships to production.',
        actions: DEPLOY_LIKE,
        approvers: approvers(['SRE', 'Release']),
        quorum: quorum(2, { requiredTeamIds: [teams.get('SRE')!] }),
        requesterCanApprove: false,
      },
      ['checkout', 'payments', 'search'].map((p) => ({ scope: 'environment' as const, targetId: envs.get(`${p}/production`)! })),
    );
    // Off-hours: evenings or weekends in Istanbul need one more approval and a reason.
    await policy(
      {
        name: 'Off-Hours Change Gate',
        description: 'Changes outside business hours (18:00–09:00 or weekends, Europe/Istanbul) need a reason and an extra approval.',
        actions: DEPLOY_LIKE,
        approvers: approvers(['SRE'], ['release-manager', 'admin']),
        quorum: quorum(1),
        conditions: { startHour: 18, endHour: 9, weekdays: ['saturday', 'sunday'], timezone: 'Europe/Istanbul', requireReason: true },
        requesterCanApprove: false,
      },
      [{ scope: 'organization' }],
    );
    // Production only: bound to the payments project, its condition narrows it to production.
    await policy(
      {
        name: 'Production Release Approval',
        description: 'Payments production releases need two approvals including Security.',
        actions: ['release.deploy', 'promotion.execute'],
        approvers: approvers(['Security', 'SRE']),
        quorum: quorum(2, { requiredTeamIds: [teams.get('Security')!] }),
        conditions: { environments: ['production'] },
        requesterCanApprove: false,
      },
      [{ scope: 'project', targetId: projects.get('payments')! }],
    );
    await policy(
      {
        name: 'Production Cluster Operations',
        description: 'Any operation on the production cluster needs an SRE.',
        actions: CLUSTER_OPS,
        approvers: approvers(['SRE']),
        quorum: quorum(1, { minDistinctTeams: 1 }),
        requesterCanApprove: false,
      },
      [{ scope: 'cluster', targetId: clusters.get('prod-eu-1')! }],
    );
    await policy(
      {
        name: 'Credential Issue',
        description: 'Cluster tokens are issued only with Security and a tech lead.',
        actions: ['token.issue'],
        approvers: approvers(['Security', 'SRE'], ['tech-lead', 'release-manager']),
        quorum: quorum(2, { minDistinctTeams: 2, requiredOrgRoles: ['tech-lead'] }),
        adminBypass: true,
        requesterCanApprove: false,
      },
      [{ scope: 'organization' }],
    );
    await policy(
      {
        name: 'Incident Freeze Review',
        description: 'Unfreezing production needs a second pair of eyes.',
        actions: ['environment.unfreeze'],
        approvers: approvers(['SRE'], ['release-manager']),
        quorum: quorum(1),
        conditions: { environments: ['production'] },
        adminBypass: true,
        requesterCanApprove: false,
      },
      [{ scope: 'organization' }],
    );

    // Seed 002: rules that read the change itself. Each ends in an `allow` when nothing risky
    // matched, so the policy gates only what its rules single out (the strictest matching rule wins).
    const productionEnvs = ['checkout', 'payments', 'search'].map((p) => ({ scope: 'environment' as const, targetId: envs.get(`${p}/production`)! }));
    const otherwise = { name: 'otherwise', when: 'true', outcome: 'allow' as const };
    await policy(
      {
        name: 'Production Cost Limit',
        description: 'A production change that raises the monthly bill by more than 500 is refused.',
        actions: DEPLOY_LIKE,
        approvers: approvers(['Release']),
        quorum: quorum(1),
        requesterCanApprove: false,
        rules: [
          {
            name: 'monthly cost limit',
            when: 'has_cost && cost.monthlyCostDiff > 500',
            outcome: 'deny',
            message: 'the monthly cost rises by more than 500',
          },
          otherwise,
        ],
      },
      productionEnvs,
    );
    await policy(
      {
        name: 'Production Terraform Destroy',
        description: 'A Terraform destroy in production needs two approvals including Security.',
        actions: DEPLOY_LIKE,
        approvers: approvers(['Security', 'SRE']),
        quorum: quorum(1),
        requesterCanApprove: false,
        rules: [
          {
            name: 'terraform destroy',
            // `plan` is `{}` without one, and reading a field a map lacks is an error in CEL: has() first.
            when: 'risk.terraformDestroys > 0 || (has(plan.resource_changes) && plan.resource_changes.exists(c, "delete" in c.change.actions))',
            outcome: 'pending',
            message: 'a Terraform destroy needs two approvals including Security',
            quorum: quorum(2, { requiredTeamIds: [teams.get('Security')!] }),
          },
          otherwise,
        ],
      },
      productionEnvs,
    );
    await policy(
      {
        name: 'Production Volume Protection',
        description: 'Deleting a PersistentVolumeClaim in production is refused: its data goes with it.',
        actions: DEPLOY_LIKE,
        approvers: approvers(['SRE']),
        quorum: quorum(1),
        requesterCanApprove: false,
        rules: [
          {
            name: 'no PVC deletion',
            when: '"PersistentVolumeClaim" in risk.deletedKinds',
            outcome: 'deny',
            message: 'deleting a PersistentVolumeClaim in production is not allowed',
          },
          otherwise,
        ],
      },
      productionEnvs,
    );
    await policy(
      {
        name: 'Untagged Images',
        description: 'An image without a tag is recorded as a warning: what runs cannot be told from the diff.',
        actions: DEPLOY_LIKE,
        approvers: approvers(['SRE']),
        quorum: quorum(1),
        requesterCanApprove: false,
        rules: [
          { name: 'untagged image', when: 'risk.untaggedImages > 0', outcome: 'warn', message: 'an image has no tag (it runs whatever :latest is)' },
          otherwise,
        ],
      },
      [{ scope: 'organization' }],
    );

    await buildHistory(
      ctx,
      tx,
      (t) => (clock = t),
      realNow,
      [...users.values()].map((d) => d.user),
      envs,
      [incident(ctx, tx, u('ic'), envs.get('search/production')!, realNow)],
    );
    clock = realNow;

    const reason = (s: string) => s;
    const reqs: {
      who: string;
      action: Action;
      env?: string;
      cluster?: string;
      project?: string;
      why: string;
      revision?: string;
      diff?: string;
      summary?: string;
    }[] = [
      {
        who: 'dev1',
        action: 'release.deploy',
        env: 'checkout/production',
        why: 'Ship the new address autocomplete (CHK-2291); canaried on staging for 48 h.',
        revision: 'checkout@4f2a9c1',
        diff: deploymentImageBump('checkout-api', 'v2.14.3', 'v2.15.0'),
        summary: 'checkout-api v2.14.3 → v2.15.0',
      },
      {
        who: 'dev2',
        action: 'release.deploy',
        env: 'payments/production',
        why: 'Switch primary PSP to Adyen EU and enable instant refunds (PAY-812).',
        revision: 'payments@9b01e77',
        diff: configChange(),
        summary: 'payments config: PSP switch, retries',
      },
      {
        who: 'dev3',
        action: 'release.deploy',
        env: 'search/production',
        why: 'Indexer needs to read the new credentials Secret; drop the legacy one.',
        revision: 'search@a81c3de',
        diff: rbacAndSecretChange(),
        summary: 'RBAC: search-indexer reads secrets',
      },
      {
        who: 'sre1',
        action: 'release.deploy',
        env: 'payments/production',
        why: 'Scale the payments database before Black Friday; retire the legacy replica.',
        revision: 'infra@77d0e2b',
        diff: terraformPlan(),
        summary: 'terraform: 1 to change, 1 to destroy',
      },
      {
        who: 'dev1',
        action: 'release.deploy',
        env: 'checkout/staging',
        why: 'Grafana dashboards refresh for the checkout funnel.',
        revision: 'monitoring@c0ffee1',
        diff: largeManifestChange(7, 12, 480),
        summary: '12 dashboards regenerated',
      },
      {
        who: 'sre2',
        action: 'release.deploy',
        env: 'search/production',
        why: 'kube-prometheus dashboards and alert rules update (large).',
        revision: 'monitoring@0d15ea5',
        diff: largeManifestChange(11, 16, 520),
        summary: 'monitoring stack: 16 manifests',
      },
      {
        who: 'dev2',
        action: 'promotion.execute',
        env: 'checkout/production',
        why: 'Promote staging build 2.15.0-rc.3 to production.',
        revision: 'checkout@4f2a9c1',
        diff: deploymentImageBump('checkout-web', 'v2.14.3', 'v2.15.0-rc.3'),
        summary: 'promote staging → production',
      },
      {
        who: 'sre1',
        action: 'rollback.execute',
        env: 'search/production',
        why: 'p99 latency doubled after 3.8.0; roll back to 3.7.2 while we investigate.',
        revision: 'search@3.7.2',
        diff: deploymentImageBump('search-api', 'v3.8.0', 'v3.7.2'),
        summary: 'rollback search-api to v3.7.2',
      },
      {
        who: 'dev3',
        action: 'cluster.scale',
        cluster: 'prod-eu-1',
        project: 'checkout',
        why: 'Scale checkout-api from 6 to 12 replicas for the campaign launch.',
        diff: deploymentImageBump('checkout-api', 'v2.14.3', 'v2.14.3', [6, 12]),
        summary: 'checkout-api replicas 6 → 12',
      },
      {
        who: 'sre2',
        action: 'cluster.restart',
        cluster: 'prod-eu-1',
        why: 'Rolling restart of ingress-nginx to pick up the rotated TLS certificate.',
        summary: 'rollout restart deploy/ingress-nginx',
      },
      {
        who: 'dev1',
        action: 'token.issue',
        cluster: 'prod-eu-1',
        why: 'Read-only token for the checkout on-call debugging session (24 h).',
        summary: 'kubeconfig token, view role, 24 h',
      },
      {
        who: 'sre1',
        action: 'resource.delete',
        cluster: 'prod-eu-1',
        why: 'Delete the orphaned PVCs left by the old Elasticsearch cluster.',
        summary: 'delete 6 PersistentVolumeClaims in search',
      },
      {
        who: 'dev2',
        action: 'manifest.apply',
        env: 'payments/production',
        why: reason('Apply the NetworkPolicy that isolates the payments namespace.'),
        summary: 'NetworkPolicy payments-isolation',
      },
    ];
    for (const r of reqs) {
      const resource = {
        ...(r.env ? { environmentId: envs.get(r.env)! } : {}),
        ...(r.cluster ? { clusterId: clusters.get(r.cluster)! } : {}),
        ...(r.project ? { projectId: projects.get(r.project)! } : {}),
      };
      await submitRequest(ctx, tx, u(r.who), {
        action: r.action,
        resource,
        justification: r.why,
        payload: { revision: r.revision, diff: r.diff, summary: r.summary },
      });
    }
    return [...users.values()];
  });
}

/**
 * Two nights ago Ines broke glass to roll search back, and ended the session herself: an ended
 * session nobody has reviewed yet, with one action taken under it, for the Needs review list.
 */
function incident(ctx: ServiceContext, tx: StoreTx, ines: User, environmentId: string, until: Date): HistoryEvent[] {
  const startedAt = (Math.floor(until.getTime() / (24 * HOUR)) - 2) * 24 * HOUR + 2 * HOUR + 10 * 60_000;
  let sessionId = '';
  return [
    {
      at: startedAt,
      run: async () => {
        const started = await startBreakGlass(ctx, tx, ines, {
          reason: 'INC-4471: search API returning 500s after 3.8.0; rolling back outside the change window',
          scope: { actions: ['rollback.execute', 'release.deploy'], environmentIds: [environmentId] },
          durationMinutes: 60,
        });
        sessionId = appliedValue(started)!.id;
      },
    },
    {
      at: startedAt + 12 * 60_000,
      run: async () => {
        await submitRequest(ctx, tx, ines, {
          action: 'rollback.execute',
          resource: { environmentId },
          justification: 'INC-4471: roll search-api back to v3.7.1 while the 3.8.0 regression is found.',
          payload: { revision: 'search@3.7.1', summary: 'rollback search-api to v3.7.1', diff: deploymentImageBump('search-api', 'v3.8.0', 'v3.7.1') },
        });
      },
    },
    { at: startedAt + 38 * 60_000, run: async () => void (await revokeBreakGlass(ctx, tx, ines, sessionId)) },
  ];
}

type HistoryEvent = { at: number; run: () => Promise<void> };

const HISTORY_APPS = ['checkout-api', 'checkout-web', 'payments-api', 'search-api', 'search-indexer'];

/**
 * A month of decided deploys: filed in working hours by developers and SREs, reviewed after
 * minutes to hours by whoever may approve, now and then rejected.
 */
async function buildHistory(
  ctx: ServiceContext,
  tx: StoreTx,
  setClock: (t: Date) => void,
  until: Date,
  people: User[],
  envs: Map<string, string>,
  /** Events outside the deploy routine, woven into the same timeline. */
  extra: HistoryEvent[][] = [],
): Promise<void> {
  const rand = seededRandom(2026);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  // Auditors review after the fact; they file no deploys.
  const requesters = people.filter((u) => u.orgRole === 'member' && !u.roles.includes('release-manager') && !u.roles.includes('auditor'));
  const targets = [...envs.entries()].filter(([name]) => !name.endsWith('/dev'));
  const startDay = Math.floor(until.getTime() / (24 * HOUR)) - HISTORY_DAYS;
  // A queue of timed events processed in time order, so the audit log reads chronologically.
  type Event = HistoryEvent;
  const queue: Event[] = [];
  const schedule = (e: Event) => {
    if (e.at >= until.getTime()) return;
    let i = queue.length;
    while (i > 0 && queue[i - 1]!.at > e.at) i--;
    queue.splice(i, 0, e);
  };
  const review = (request: ApprovalRequest, after: number, round: number, hurry: number) =>
    schedule({
      // Reviews arrive minutes to hours apart, sooner in production; one in ten is rejected.
      at: after + (5 * 60_000 + rand() * rand() * 5 * HOUR) * hurry,
      run: async () => {
        const eligible = people.filter((u) => canApprove(request, u));
        if (eligible.length === 0 || round >= 6) return;
        const kind = rand() < 0.1 ? 'reject' : 'approve';
        const next = appliedValue(
          await decide(
            ctx,
            tx,
            pick(eligible),
            request.id,
            kind,
            kind === 'reject' ? { comment: 'Not during the payments freeze window; please re-file tomorrow.' } : {},
          ),
        );
        if (next?.status === 'pending') review(next, Date.parse(next.updatedAt), round + 1, hurry);
      },
    });
  for (let day = 0; day < HISTORY_DAYS; day++) {
    const midnight = (startDay + day) * 24 * HOUR;
    const weekday = new Date(midnight).getUTCDay();
    const count = weekday === 0 || weekday === 6 ? Math.floor(rand() * 2) : 2 + Math.floor(rand() * 4);
    for (let i = 0; i < count; i++) {
      const filedAt = midnight + (7 + rand() * 9) * HOUR;
      const [envName, environmentId] = pick(targets);
      const app = pick(HISTORY_APPS);
      const from = `v1.${Math.floor(rand() * 40)}.${Math.floor(rand() * 9)}`;
      const to = `v1.${Math.floor(rand() * 40) + 40}.0`;
      const requester = pick(requesters);
      schedule({
        at: filedAt,
        run: async () => {
          const created = await submitRequest(ctx, tx, requester, {
            action: 'release.deploy',
            resource: { environmentId },
            justification: `Roll out ${app} ${to} to ${envName.split('/')[1]}.`,
            payload: { revision: `${app}@${to}`, summary: `${app} ${from} → ${to}`, diff: deploymentImageBump(app, from, to) },
          });
          const request = appliedValue(created);
          if (request?.status === 'pending') review(request, filedAt, 0, envName.endsWith('/production') ? 0.6 : 1.4);
        },
      });
    }
  }
  for (const e of extra.flat()) schedule(e);
  while (queue.length > 0) {
    const e = queue.shift()!;
    setClock(new Date(e.at));
    await e.run();
  }
  // Anything the month didn't finish is withdrawn by its requester, as people do.
  for (const r of (await tx.listRequests({ status: 'pending', limit: 1000 })).requests) {
    await cancel(ctx, tx, (await tx.get('user', r.requesterId))!, r.id);
  }
}
