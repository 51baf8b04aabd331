// Figure 4: policy engine evaluations per second. One release.deploy request on a production
// environment against 20 bound policies — organisation, project, cluster and environment
// bindings, some for other actions or other places, conditions with IANA time zones, hour windows
// (some wrapping midnight), weekdays, environment names and reasons — through evaluateAction, the
// function the server runs on every new request. Then the same with five content rules per policy
// (engine.rules_evaluations_per_s): rules judged per second, the whole evaluation counted.
import { evaluateAction, type ActionInput } from '../shared/policy/index.ts';
import { Binding, BreakGlassSession, Environment, Policy, PolicyRule, User, type Action } from '../shared/schemas/index.ts';
import { round, type Benchmark } from './helpers.ts';

const WARMUP_MS = 500;
const MEASURE_MS = 2000;
/** Monday 2024-06-03 10:00 UTC (13:00 in Istanbul, 06:00 in New York, 19:00 in Tokyo). */
const NOW_MS = Date.parse('2024-06-03T10:00:00Z');

const PROJECT = 'prj_api';
const OTHER_PROJECT = 'prj_web';
const CLUSTER = 'cls_eu';
const ENV = 'env_api_prod';
const OTHER_ENV = 'env_api_staging';

type PolicySpec = {
  name: string;
  actions?: Action[];
  conditions?: Policy['conditions'];
  bind: ['organization'] | ['project' | 'cluster' | 'environment', string];
  adminBypass?: boolean;
};

const SPECS: PolicySpec[] = [
  { name: 'org: two approvals for production deploys', conditions: { environments: ['production'] }, bind: ['organization'] },
  {
    name: 'org: off-hours Istanbul',
    conditions: { weekdays: ['saturday', 'sunday'], startHour: 18, endHour: 9, timezone: 'Europe/Istanbul' },
    bind: ['organization'],
  },
  {
    name: 'org: off-hours New York',
    conditions: { weekdays: ['saturday', 'sunday'], startHour: 18, endHour: 9, timezone: 'America/New_York' },
    bind: ['organization'],
  },
  { name: 'org: Tokyo evening window', conditions: { startHour: 17, endHour: 23, timezone: 'Asia/Tokyo' }, bind: ['organization'] },
  {
    name: 'org: weekday business hours Berlin',
    conditions: { weekdays: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], timezone: 'Europe/Berlin' },
    bind: ['organization'],
  },
  { name: 'org: deletes need security', actions: ['project.delete', 'resource.delete'], bind: ['organization'] },
  { name: 'org: token issuance', actions: ['token.issue'], bind: ['organization'] },
  { name: 'org: reason for any deploy', conditions: { requireReason: true }, bind: ['organization'] },
  { name: 'project: api release managers', actions: ['release.deploy', 'promotion.execute', 'rollback.execute'], bind: ['project', PROJECT] },
  { name: 'project: api late nights Sydney', conditions: { startHour: 22, endHour: 6, timezone: 'Australia/Sydney' }, bind: ['project', PROJECT] },
  { name: 'project: api staging only', conditions: { environments: ['staging'] }, bind: ['project', PROJECT] },
  { name: 'project: web deploys', bind: ['project', OTHER_PROJECT] },
  { name: 'project: web weekends', conditions: { weekdays: ['saturday', 'sunday'], timezone: 'Europe/London' }, bind: ['project', OTHER_PROJECT] },
  {
    name: 'cluster: eu manifests',
    actions: ['manifest.apply', 'release.deploy'],
    conditions: { timezone: 'Europe/Paris', startHour: 8, endHour: 20 },
    bind: ['cluster', CLUSTER],
  },
  { name: 'cluster: eu restarts', actions: ['cluster.restart', 'cluster.scale'], bind: ['cluster', CLUSTER] },
  { name: 'env: production SRE sign-off', bind: ['environment', ENV], adminBypass: true },
  { name: 'env: production Friday freeze-ish', conditions: { weekdays: ['friday'], timezone: 'America/Los_Angeles' }, bind: ['environment', ENV] },
  {
    name: 'env: production India hours',
    conditions: { startHour: 9, endHour: 18, timezone: 'Asia/Kolkata', environments: ['production'] },
    bind: ['environment', ENV],
  },
  { name: 'env: staging QA', bind: ['environment', OTHER_ENV] },
  { name: 'env: production rollbacks', actions: ['rollback.execute'], bind: ['environment', ENV] },
];

// Five rules a policy might carry, of the kinds seed 002 describes: cost, risk facts, the plan,
// the requester and the approvals, the hour. None matches the bench's request but the cost cap's
// neighbour, so every rule is read on every evaluation and the outcome stays pending.
const RULES = [
  { name: 'cost cap', when: 'environment.name == "production" && cost.monthlyCostDiff > 500.0', outcome: 'deny' },
  { name: 'destroy needs two', when: 'risk.terraformDestroys > 0 || risk.deletedResources > 2', outcome: 'pending', quorum: { minApprovals: 2 } },
  {
    name: 'no PVC deletes',
    when: '"PersistentVolumeClaim" in risk.deletedKinds || (has(plan.resource_changes) && plan.resource_changes.exists(c, "delete" in c.change.actions && c.address.startsWith("kubernetes_persistent_volume_claim")))',
    outcome: 'deny',
  },
  { name: 'untagged images', when: 'risk.untaggedImages > 0 && !("SRE" in requester.teams)', outcome: 'warn' },
  {
    name: 'a second look at night',
    when: '(now.hour >= 22 || now.hour < 6) && approvals.size() < 2 && risk.linesAdded + risk.linesRemoved > 100',
    outcome: 'pending',
    quorum: { minApprovals: 2 },
  },
].map((r) => PolicyRule.parse(r));

/** The input, validated against the domain schemas so the engine sees what the server would give it. */
export function engineInput(withRules = false): ActionInput {
  const policies = SPECS.map((s, i) =>
    Policy.parse({
      id: `pol_${i}`,
      name: s.name,
      actions: s.actions ?? ['release.deploy'],
      approvers: { teamIds: [`team_${i % 4}`], orgRoles: i % 3 === 0 ? ['release-manager'] : [] },
      quorum: { minApprovals: 1 + (i % 3), minDistinctTeams: i % 5 === 0 ? 2 : 0 },
      conditions: s.conditions ?? {},
      adminBypass: s.adminBypass ?? false,
      ...(withRules ? { rules: RULES } : {}),
    }),
  );
  const bindings = SPECS.map((s, i) =>
    Binding.parse({ id: `bnd_${i}`, policyId: `pol_${i}`, scope: s.bind[0], ...(s.bind[1] ? { targetId: s.bind[1] } : {}) }),
  );
  const environment = Environment.parse({ id: ENV, projectId: PROJECT, clusterId: CLUSTER, name: 'production', protection: 'none', reviewers: {} });
  const requester = User.parse({ id: 'usr_rick', name: 'Rick', email: 'rick@example.com', orgRole: 'member', roles: ['developer'], teamIds: ['team_dev'] });
  // An old, expired session of the requester's: checked and skipped, as it usually is.
  const session = BreakGlassSession.parse({
    id: 'bgs_old',
    userId: requester.id,
    reason: 'incident INC-7: database failover',
    scope: { actions: ['release.deploy'] },
    startedAt: '2024-05-01T09:00:00Z',
    expiresAt: '2024-05-01T11:00:00Z',
  });
  return {
    action: 'release.deploy',
    resource: { environmentId: ENV, projectId: PROJECT, clusterId: CLUSTER },
    requester,
    justification: 'ship api 2.31.0',
    now: new Date(NOW_MS),
    environment,
    policies,
    bindings,
    breakGlassSessions: [session],
    ...(withRules ? rulesContent(requester) : {}),
  };
}

/** What a request with rules to read carries: a cost, a small Terraform plan, the diff's risk facts, names. */
function rulesContent(requester: User): Pick<ActionInput, 'content' | 'directory'> {
  return {
    content: {
      revision: '9f2c1e7',
      cost: { totalMonthlyCost: 1240, monthlyCostDiff: 120.5 },
      plan: {
        resource_changes: [
          { address: 'aws_db_instance.main', change: { actions: ['update'] } },
          { address: 'kubernetes_deployment.api', change: { actions: ['update'] } },
          { address: 'aws_s3_bucket.assets', change: { actions: ['no-op'] } },
        ],
      },
      risk: {
        deletedResources: 1,
        deletedKinds: ['ConfigMap'],
        imageChanges: 2,
        untaggedImages: 0,
        replicaChanges: 1,
        rbacChanges: 0,
        secretChanges: 0,
        terraformDestroys: 0,
        filesChanged: 4,
        linesAdded: 80,
        linesRemoved: 12,
        complete: true,
      },
    },
    directory: {
      users: [requester],
      teams: [{ id: 'team_dev', name: 'Developers' }],
      projects: [{ id: PROJECT, name: 'api' }],
      clusters: [{ id: CLUSTER, name: 'prod-eu-1' }],
    },
  };
}

/** Runs `evaluate` in batches for ~MEASURE_MS after a warm-up; returns evaluations per second. */
function measure(evaluate: () => number, expected: number): { perSec: number; iterations: number } {
  let seen = 0;
  const batch = (n: number) => {
    for (let i = 0; i < n; i++) seen += evaluate();
  };
  const warmEnd = performance.now() + WARMUP_MS;
  while (performance.now() < warmEnd) batch(1000);
  seen = 0;
  let iterations = 0;
  const start = performance.now();
  const end = start + MEASURE_MS;
  let now = start;
  while (now < end) {
    batch(1000);
    iterations += 1000;
    now = performance.now();
  }
  if (seen !== iterations * expected) throw new Error(`the engine's answer changed during the run (${seen} over ${iterations} evaluations)`);
  return { perSec: iterations / ((now - start) / 1000), iterations };
}

export const engine: Benchmark = {
  name: 'engine',
  async run(ctx) {
    const base = engineInput();
    const first = evaluateAction(base);
    if (first.outcome !== 'pending') throw new Error(`expected a pending outcome, got ${first.outcome}`);
    const gateCount = first.gates.length;
    ctx.log(`1 request × ${base.policies.length} bound policies → ${gateCount} gates; ${WARMUP_MS} ms warm-up, then ~${MEASURE_MS / 1000} s`);

    // As the server does: a fresh input object and a fresh Date per evaluation.
    const plain = measure(() => evaluateAction({ ...base, now: new Date(NOW_MS) }).gates.length, gateCount);
    ctx.log(`${plain.iterations} evaluations → ${Math.round(plain.perSec)}/s (${round(1e9 / plain.perSec, 0)} ns each)`);

    // The same request and policies, each policy with five content rules, the request with the
    // content they read: the figure is rules judged per second, counting the whole evaluation.
    const ruled = engineInput(true);
    const firstRuled = evaluateAction(ruled);
    if (firstRuled.outcome !== 'pending') throw new Error(`expected a pending outcome with rules, got ${firstRuled.outcome}`);
    const rulesPerEvaluation = firstRuled.ruleResults?.length ?? 0;
    if (rulesPerEvaluation === 0 || firstRuled.ruleResults!.some((r) => r.error !== undefined))
      throw new Error('the bench rules must be evaluated, without errors');
    ctx.log(`with rules: ${ruled.policies.length} policies × ${RULES.length} rules, ${rulesPerEvaluation} rules read per evaluation (the policies that apply)`);
    const withRules = measure(() => evaluateAction({ ...ruled, now: new Date(NOW_MS) }).ruleResults!.length, rulesPerEvaluation);
    const rulesPerSec = withRules.perSec * rulesPerEvaluation;
    ctx.log(`${withRules.iterations} evaluations → ${Math.round(withRules.perSec)}/s → ${Math.round(rulesPerSec)} rules/s`);
    return [
      { name: 'engine.evaluations_per_s', value: round(plain.perSec, 0), unit: 'evaluations/s', goal: '>= 200000' },
      { name: 'engine.rules_evaluations_per_s', value: round(rulesPerSec, 0), unit: 'rules/s', goal: '>= 200000' },
    ];
  },
};

export default engine;
