// Content rules over HTTP, on the demo organisation's seed-002 policies (docs/policies.md, "Content
// rules"): each demo rule denies with its message, raises the quorum or warns; the dry run
// (POST /api/policies/evaluate) says what creating the request then does; a rule that does not
// compile is refused when saved, at its position; rules run again at each decision.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BindingResponse,
  EnvironmentsResponse,
  EvaluatePolicyResponse,
  PoliciesResponse,
  PolicyResponse,
  ProjectsResponse,
  RequestDetailResponse,
  RequestResponse,
  RequestsResponse,
  TeamsResponse,
  UsersResponse,
  type ApprovalRequest,
  type Policy,
} from '../../shared/schemas/index.ts';
import { apiFor, cleanupTempDirs, demoDir, expectError, expectOk, killAll, startServer, uniq, type Api, type ServerProcess } from './harness.ts';

// A Tuesday morning in Istanbul: no demo policy's time window decides anything here.
const CLOCK = '2026-03-10T10:00:00+03:00';

let server: ServerProcess;
let as: (email: string) => Api;
let owner: Api;
let dev: Api;
let checkoutProduction: string;
let checkoutStaging: string;
let policies: Policy[];
let teamId: (name: string) => string;

before(async () => {
  const demo = await demoDir(['--clock', CLOCK]);
  server = await startServer(demo.dir, ['--clock', CLOCK]);
  as = (email) => apiFor(() => server.url, demo.token(email));
  owner = as('olivia.hart@example.com');
  dev = as('dev.patel@example.com');
  const projects = expectOk(await owner.get('/api/projects'), 200, ProjectsResponse).projects;
  const envs = expectOk(await owner.get('/api/environments'), 200, EnvironmentsResponse).environments;
  const env = (project: string, name: string) => envs.find((e) => e.name === name && e.projectId === projects.find((p) => p.name === project)?.id)!.id;
  checkoutProduction = env('checkout', 'production');
  checkoutStaging = env('checkout', 'staging');
  policies = expectOk(await owner.get('/api/policies'), 200, PoliciesResponse).policies;
  const teams = expectOk(await owner.get('/api/teams'), 200, TeamsResponse).teams;
  teamId = (name) => teams.find((t) => t.name === name)!.id;
});

after(async () => {
  await server?.stop();
  killAll();
  cleanupTempDirs();
});

const policyId = (name: string) => {
  const p = policies.find((x) => x.name === name);
  assert.ok(p, `demo policy ${name}`);
  return p.id;
};

function deploy(environmentId: string, payload: Record<string, unknown>) {
  return { action: 'release.deploy', resource: { environmentId }, justification: `ship ${uniq('rev')}`, payload: { revision: 'a1b2c3d', ...payload } };
}

/** The dry run, then the request itself: the verdict must be what creating it does. */
async function evaluateThenCreate(body: ReturnType<typeof deploy>) {
  const verdict = expectOk(await dev.post('/api/policies/evaluate', body), 200, EvaluatePolicyResponse, 'dry run');
  const created = await dev.post('/api/requests', body);
  return { verdict, created };
}

const DESTROY_PLAN = {
  format_version: '1.2',
  resource_changes: [
    { address: 'aws_db_instance.orders', change: { actions: ['delete'] } },
    { address: 'aws_s3_bucket.assets', change: { actions: ['no-op'] } },
  ],
};
const KEEP_PLAN = { format_version: '1.2', resource_changes: [{ address: 'aws_s3_bucket.assets', change: { actions: ['update'] } }] };

const PVC_DELETED = [
  'diff --git a/k8s/data-volume.yaml b/k8s/data-volume.yaml',
  'deleted file mode 100644',
  '--- a/k8s/data-volume.yaml',
  '+++ /dev/null',
  '@@ -1,6 +0,0 @@',
  '-apiVersion: v1',
  '-kind: PersistentVolumeClaim',
  '-metadata:',
  '-  name: orders-data',
  '-spec:',
  '-  storageClassName: ssd',
  '',
].join('\n');

const UNTAGGED_IMAGE = [
  'diff --git a/k8s/deploy.yaml b/k8s/deploy.yaml',
  '--- a/k8s/deploy.yaml',
  '+++ b/k8s/deploy.yaml',
  '@@ -1,6 +1,6 @@',
  ' kind: Deployment',
  ' spec:',
  '   containers:',
  '     - name: web',
  '-      image: registry.example.com/checkout/web:1.4.2',
  '+      image: registry.example.com/checkout/web',
  '',
].join('\n');

const TAGGED_IMAGE = UNTAGGED_IMAGE.replace('+      image: registry.example.com/checkout/web', '+      image: registry.example.com/checkout/web:1.4.3');

async function requestsOn(environmentId: string): Promise<ApprovalRequest[]> {
  return expectOk(await owner.get(`/api/requests?environmentId=${environmentId}`), 200, RequestsResponse).requests;
}

describe('the demo rules', () => {
  test('a production change raising the monthly cost by more than 500: refused with the rule’s message, by the dry run and by creating it', async () => {
    const before = (await requestsOn(checkoutProduction)).length;
    const { verdict, created } = await evaluateThenCreate(
      deploy(checkoutProduction, { cost: { totalMonthlyCost: 4200, monthlyCostDiff: 750.5, currency: 'EUR' } }),
    );
    const message = 'Policy "Production Cost Limit", rule "monthly cost limit": the monthly cost rises by more than 500';
    assert.equal(verdict.outcome, 'deny');
    assert.deepEqual(verdict.violations, [{ policyId: policyId('Production Cost Limit'), message }]);
    assert.deepEqual(verdict.gates, []);
    const costRule = verdict.rules.find((r) => r.rule === 'monthly cost limit');
    assert.deepEqual(costRule, { policyId: policyId('Production Cost Limit'), rule: 'monthly cost limit', matched: true, outcome: 'deny' });
    const error = expectError(created, 422, 'policy_violations');
    assert.deepEqual(error.details, [{ policyId: policyId('Production Cost Limit'), message }]);
    assert.equal((await requestsOn(checkoutProduction)).length, before, 'nothing created');
  });

  test('exactly 500 more, or a cost on staging: not refused; without a cost the rule does not match', async () => {
    for (const [env, cost] of [
      [checkoutProduction, { totalMonthlyCost: 900, monthlyCostDiff: 500 }],
      [checkoutStaging, { totalMonthlyCost: 9000, monthlyCostDiff: 5000 }],
      [checkoutProduction, undefined],
    ] as const) {
      const { verdict, created } = await evaluateThenCreate(deploy(env, cost ? { cost } : {}));
      assert.notEqual(verdict.outcome, 'deny', JSON.stringify(verdict.violations));
      const request = expectOk(created, 201, RequestResponse).request;
      assert.equal(request.status === 'pending' ? 'pending' : 'allow', verdict.outcome === 'pending' ? 'pending' : 'allow');
      if (env === checkoutProduction) assert.equal(verdict.rules.find((r) => r.rule === 'monthly cost limit')?.matched, false);
    }
  });

  test('a Terraform destroy in production: its gate needs 2 approvals including Security; the dry run’s gates are the request’s', async () => {
    const { verdict, created } = await evaluateThenCreate(deploy(checkoutProduction, { plan: DESTROY_PLAN }));
    assert.equal(verdict.outcome, 'pending');
    const request = expectOk(created, 201, RequestResponse).request;
    assert.equal(request.status, 'pending');
    assert.deepEqual(
      request.gates.map((g) => g.id),
      verdict.gates.map((g) => g.id),
    );
    const gate = request.gates.find((g) => g.policyId === policyId('Production Terraform Destroy'));
    assert.ok(gate, 'the destroy policy gates the request');
    assert.equal(gate.quorum.minApprovals, 2);
    assert.deepEqual(gate.quorum.requiredTeamIds, [teamId('Security')]);
    assert.ok(gate.approvers.teamIds.includes(teamId('Security')));
    assert.deepEqual(request.payload.plan, DESTROY_PLAN, 'the plan is stored with the request');
    assert.deepEqual(
      request.ruleResults?.find((r) => r.rule === 'terraform destroy'),
      { policyId: policyId('Production Terraform Destroy'), rule: 'terraform destroy', matched: true, outcome: 'pending' },
    );

    // Two SRE approvals are not enough for that gate: Security is missing.
    for (const email of ['sam.ortiz@example.com', 'priya.nair@example.com']) {
      expectOk(await as(email).post(`/api/requests/${request.id}/approve`, { comment: 'ok' }), 200, RequestResponse);
    }
    const detail = expectOk(await owner.get(`/api/requests/${request.id}`), 200, RequestDetailResponse);
    assert.equal(detail.request.status, 'pending');
    const progress = detail.progress.gates.find((g) => g.gateId === gate.id);
    assert.ok(progress && !progress.passed, 'the destroy gate waits for Security');
    expectOk(await as('lena.fischer@example.com').post(`/api/requests/${request.id}/approve`, { comment: 'reviewed the destroy' }), 200, RequestResponse);
    const after = expectOk(await owner.get(`/api/requests/${request.id}`), 200, RequestDetailResponse);
    assert.ok(after.progress.gates.find((g) => g.gateId === gate.id)?.passed, 'two approvals including Security pass it');
  });

  test('a plan that destroys nothing: the destroy rule does not match and its policy lets the request through', async () => {
    const { verdict, created } = await evaluateThenCreate(deploy(checkoutProduction, { plan: KEEP_PLAN }));
    const request = expectOk(created, 201, RequestResponse).request;
    assert.equal(verdict.rules.find((r) => r.rule === 'terraform destroy')?.matched, false);
    assert.equal(
      request.gates.some((g) => g.policyId === policyId('Production Terraform Destroy')),
      false,
    );
  });

  test('deleting a PersistentVolumeClaim in production: refused with the rule’s message; the facts say which kind', async () => {
    const { verdict, created } = await evaluateThenCreate(deploy(checkoutProduction, { diff: PVC_DELETED }));
    const message = 'Policy "Production Volume Protection", rule "no PVC deletion": deleting a PersistentVolumeClaim in production is not allowed';
    assert.equal(verdict.outcome, 'deny');
    assert.deepEqual(
      verdict.violations.map((v) => v.message),
      [message],
    );
    assert.equal(expectError(created, 422, 'policy_violations').message, 'policy violations');
    // On staging the policy is not bound: the request is filed, its facts recorded.
    const staging = expectOk(await dev.post('/api/requests', deploy(checkoutStaging, { diff: PVC_DELETED })), 201, RequestResponse).request;
    assert.equal(staging.risk?.deletedResources, 1);
    assert.deepEqual(staging.risk?.deletedKinds, ['PersistentVolumeClaim']);
  });

  test('an image without a tag: let through with the warning recorded on the request; a tagged image warns of nothing', async () => {
    const warning = 'Policy "Untagged Images", rule "untagged image": an image has no tag (it runs whatever :latest is)';
    const { verdict, created } = await evaluateThenCreate(deploy(checkoutStaging, { diff: UNTAGGED_IMAGE }));
    assert.ok(verdict.warnings.includes(warning), JSON.stringify(verdict.warnings));
    const request = expectOk(created, 201, RequestResponse).request;
    assert.ok(request.warnings.includes(warning));
    assert.equal(request.risk?.untaggedImages, 1);
    assert.equal(request.risk?.imageChanges, 1);
    const tagged = await evaluateThenCreate(deploy(checkoutStaging, { diff: TAGGED_IMAGE }));
    assert.equal(tagged.verdict.warnings.includes(warning), false);
    assert.equal(expectOk(tagged.created, 201, RequestResponse).request.warnings.includes(warning), false);
  });
});

describe('saving rules', () => {
  const base = (rules: unknown[]) => ({
    name: uniq('rules'),
    actions: ['release.deploy'],
    approvers: { userIds: [], teamIds: [], orgRoles: ['admin'] },
    quorum: { minApprovals: 1 },
    rules,
  });

  test('a rule that does not compile: 400 invalid_rule naming the rule with the error’s position; nothing saved', async () => {
    const count = expectOk(await owner.get('/api/policies'), 200, PoliciesResponse).policies.length;
    const res = await owner.post(
      '/api/policies',
      base([
        { name: 'fine', when: 'risk.secretChanges > 0', outcome: 'warn', message: 'secrets' },
        { name: 'typo', when: 'cost.monthlyCostDif > 1', outcome: 'deny', message: 'x' },
      ]),
    );
    const error = expectError(res, 400, 'invalid_rule');
    const details = error.details as { rule: string; message: string; position?: number }[];
    assert.equal(details.length, 1);
    assert.equal(details[0]!.rule, 'typo');
    assert.equal(typeof details[0]!.position, 'number');
    assert.ok(details[0]!.position! >= 4 && details[0]!.position! <= 'cost.monthlyCostDif'.length, `position ${details[0]!.position}`);
    assert.match(error.message, /rule "typo"/);
    assert.equal(expectOk(await owner.get('/api/policies'), 200, PoliciesResponse).policies.length, count);
  });

  test('a PATCH with a bad rule changes nothing; a good one replaces the rules; escalation null removes it', async () => {
    const { policy } = expectOk(
      await owner.post('/api/policies', {
        ...base([{ name: 'big', when: 'risk.linesAdded > 1000', outcome: 'pending', quorum: { minApprovals: 2 } }]),
        escalation: { afterMinutes: 30, approvers: { userIds: [], teamIds: [teamId('SRE')], orgRoles: [] } },
      }),
      201,
      PolicyResponse,
    );
    expectError(await owner.patch(`/api/policies/${policy.id}`, { rules: [{ name: 'bad', when: 'risk.linesAdded >', outcome: 'deny' }] }), 400, 'invalid_rule');
    const kept = expectOk(await owner.get(`/api/policies/${policy.id}`), 200, PolicyResponse).policy;
    assert.deepEqual(kept.rules, policy.rules);
    const next = [{ name: 'huge', when: 'risk.linesAdded > 5000', outcome: 'deny', message: 'split it' }];
    assert.deepEqual(expectOk(await owner.patch(`/api/policies/${policy.id}`, { rules: next }), 200, PolicyResponse).policy.rules, next);
    const removed = expectOk(await owner.patch(`/api/policies/${policy.id}`, { escalation: null }), 200, PolicyResponse).policy;
    assert.equal(removed.escalation, undefined);
    assert.deepEqual(removed.rules, next);
  });

  test('a rule requiring an unknown team: 400 naming the field; a member cannot save rules at all', async () => {
    const res = await owner.post(
      '/api/policies',
      base([{ name: 'r', when: 'true', outcome: 'pending', quorum: { minApprovals: 1, requiredTeamIds: ['team_nope'] } }]),
    );
    assert.match(JSON.stringify(expectError(res, 400)), /rules\[0\]\.quorum\.requiredTeamIds/);
    expectError(await dev.post('/api/policies', base([{ name: 'r', when: 'true', outcome: 'deny' }])), 403);
  });
});

describe('rules at each decision and when they fail', () => {
  let envId: string;
  let release: Api;

  before(async () => {
    const projects = expectOk(await owner.get('/api/projects'), 200, ProjectsResponse).projects;
    const env = await owner.post('/api/environments', {
      projectId: projects.find((p) => p.name === 'search')!.id,
      name: uniq('rules'),
      protection: 'none',
      reviewers: { userIds: [], teamIds: [] },
    });
    envId = (env.body as { environment: { id: string } }).environment.id;
    release = as('rhea.manning@example.com');
  });

  async function bind(rules: unknown[], quorum = { minApprovals: 1 }) {
    const { policy } = expectOk(
      await owner.post('/api/policies', {
        name: uniq('decision rules'),
        actions: ['release.deploy'],
        approvers: { userIds: [], teamIds: [teamId('SRE'), teamId('Developers')], orgRoles: [] },
        quorum,
        requesterCanApprove: false,
        rules,
      }),
      201,
      PolicyResponse,
    );
    expectOk(await owner.post('/api/bindings', { policyId: policy.id, scope: 'environment', targetId: envId }), 201, BindingResponse);
    return policy;
  }

  test('an approval that a rule forbids rejects the request with the rule’s message, in the audit log', async () => {
    const policy = await bind([
      {
        name: 'no developer approvals',
        when: 'approvals.exists(a, "Developers" in a.teams)',
        outcome: 'deny',
        message: 'developers may not approve their own team’s deploys',
      },
      { name: 'otherwise', when: 'true', outcome: 'pending' },
    ]);
    const request = expectOk(await release.post('/api/requests', deploy(envId, {})), 201, RequestResponse).request;
    assert.equal(request.status, 'pending');
    const decided = expectOk(await as('mia.chen@example.com').post(`/api/requests/${request.id}/approve`, { comment: 'lgtm' }), 200, RequestResponse).request;
    assert.equal(decided.status, 'rejected');
    assert.ok(
      decided.warnings.some((w) => w.includes('developers may not approve')),
      JSON.stringify(decided.warnings),
    );
    const audit = (await owner.get(`/api/audit?subject=${request.id}`)).body as { events: { type: string; details: Record<string, unknown> }[] };
    const rejected = audit.events.find((e) => e.type === 'request.rejected');
    assert.ok(rejected, 'request.rejected recorded');
    assert.match(JSON.stringify(rejected.details), /developers may not approve/);
    await owner.del(`/api/policies/${policy.id}`);
  });

  test('a rule raising the quorum with the approvals so far: one approval no longer passes the gate', async () => {
    const policy = await bind([
      { name: 'two once anyone from SRE looked', when: 'approvals.exists(a, "SRE" in a.teams)', outcome: 'pending', quorum: { minApprovals: 2 } },
      { name: 'otherwise', when: 'true', outcome: 'pending' },
    ]);
    const request = expectOk(await release.post('/api/requests', deploy(envId, {})), 201, RequestResponse).request;
    const gate = request.gates.find((g) => g.policyId === policy.id)!;
    assert.equal(gate.quorum.minApprovals, 1);
    const first = expectOk(await as('sam.ortiz@example.com').post(`/api/requests/${request.id}/approve`, {}), 200, RequestResponse).request;
    assert.equal(first.status, 'pending', 'the raised quorum holds it');
    assert.equal(first.gates.find((g) => g.id === gate.id)?.quorum.minApprovals, 2);
    const second = expectOk(await as('priya.nair@example.com').post(`/api/requests/${request.id}/approve`, {}), 200, RequestResponse).request;
    assert.equal(second.status, 'approved');
    await owner.del(`/api/policies/${policy.id}`);
  });

  test('a rule that fails to evaluate never allows: it counts as pending, its error recorded', async () => {
    // `plan` is {} without one: reading a field it lacks is an error in CEL.
    const policy = await bind([{ name: 'reads a missing field', when: 'plan.resource_changes.size() == 0', outcome: 'allow' }]);
    const body = deploy(envId, {});
    const verdict = expectOk(await release.post('/api/policies/evaluate', body), 200, EvaluatePolicyResponse);
    assert.equal(verdict.outcome, 'pending');
    const result = verdict.rules.find((r) => r.policyId === policy.id)!;
    assert.equal(result.matched, true);
    assert.equal(result.outcome, 'pending');
    assert.ok(result.error && result.error.length > 0);
    const request = expectOk(await release.post('/api/requests', body), 201, RequestResponse).request;
    assert.equal(request.status, 'pending');
    assert.ok(request.gates.some((g) => g.policyId === policy.id));
    assert.deepEqual(
      request.ruleResults?.find((r) => r.policyId === policy.id),
      result,
    );
    await owner.del(`/api/policies/${policy.id}`);
  });
});

describe('POST /api/policies/evaluate', () => {
  test('changes nothing: no request, no audit event', async () => {
    const requests = (await requestsOn(checkoutProduction)).length;
    const audit = ((await owner.get('/api/audit?limit=1')).body as { events: { seq: number }[] }).events[0]!.seq;
    expectOk(await dev.post('/api/policies/evaluate', deploy(checkoutProduction, { plan: DESTROY_PLAN })), 200, EvaluatePolicyResponse);
    assert.equal((await requestsOn(checkoutProduction)).length, requests);
    assert.equal(((await owner.get('/api/audit?limit=1')).body as { events: { seq: number }[] }).events[0]!.seq, audit);
  });

  test('a draft policy is judged beside the saved ones; only owners and admins may try a draft or someone else’s request', async () => {
    const draft = {
      name: 'Draft: no Friday destroys',
      actions: ['release.deploy'],
      approvers: { userIds: [], teamIds: [teamId('SRE')], orgRoles: [] },
      quorum: { minApprovals: 1 },
      rules: [{ name: 'big diff', when: 'risk.linesAdded >= 1', outcome: 'deny', message: 'too big for the draft' }],
      binding: { scope: 'environment', targetId: checkoutStaging },
    };
    const body = { ...deploy(checkoutStaging, { diff: TAGGED_IMAGE }), policy: draft };
    const verdict = expectOk(await owner.post('/api/policies/evaluate', body), 200, EvaluatePolicyResponse);
    assert.equal(verdict.outcome, 'deny');
    assert.deepEqual(
      verdict.violations.map((v) => v.message),
      ['Policy "Draft: no Friday destroys", rule "big diff": too big for the draft'],
    );
    assert.equal(
      expectOk(await owner.get('/api/policies'), 200, PoliciesResponse).policies.some((p) => p.name === draft.name),
      false,
    );
    expectError(await dev.post('/api/policies/evaluate', body), 403, 'forbidden', /draft/);
    const users = expectOk(await owner.get('/api/users'), 200, UsersResponse).users;
    const mia = users.find((u) => u.email === 'mia.chen@example.com')!;
    expectError(await dev.post('/api/policies/evaluate', { ...deploy(checkoutStaging, {}), requesterId: mia.id }), 403, 'forbidden', /someone else/);
    const forMia = expectOk(await owner.post('/api/policies/evaluate', { ...deploy(checkoutStaging, {}), requesterId: mia.id }), 200, EvaluatePolicyResponse);
    assert.equal(forMia.outcome, 'pending');
  });

  test('bad input: 400 with what is wrong, nothing run', async () => {
    expectError(await dev.post('/api/policies/evaluate', { action: 'release.deploy' }), 400, 'invalid_request', /resource/);
    expectError(await dev.post('/api/policies/evaluate', { ...deploy(checkoutStaging, {}), extra: 1 }), 400, 'invalid_request', /extra/);
    expectError(
      await owner.post('/api/policies/evaluate', { ...deploy(checkoutStaging, {}), requesterId: 'usr_nobody' }),
      400,
      'invalid_request',
      /requesterId/,
    );
    const badDraft = {
      ...deploy(checkoutStaging, {}),
      policy: {
        name: 'bad',
        actions: ['release.deploy'],
        approvers: { userIds: [], teamIds: [], orgRoles: ['admin'] },
        quorum: { minApprovals: 1 },
        rules: [{ name: 'r', when: '1 +', outcome: 'deny' }],
        binding: { scope: 'organization' },
      },
    };
    expectError(await owner.post('/api/policies/evaluate', badDraft), 400, 'invalid_rule');
    expectError(await apiFor(() => server.url, undefined).post('/api/policies/evaluate', deploy(checkoutStaging, {})), 401);
  });
});
