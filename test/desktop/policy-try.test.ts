// policy.try and policy.replay through the composed core, with the backend gone: a draft is
// judged from the cache alone, beside the saved policies the demo backend synced.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDesktopCore, type DesktopCore } from '../../electron/core/app.ts';
import { testClock } from '../clock.ts';
import { tempDir, killAll, cleanupTempDirs } from '../server/harness.ts';
import { RHEA, demoBackend, until, type Backend, MemorySecrets, RecordingSink } from './helpers.ts';

let b: Backend;
let core: DesktopCore;
before(async () => {
  b = await demoBackend();
  core = await createDesktopCore({
    mode: 'web',
    dataDir: tempDir('gh-policy-try-'),
    clock: testClock,
    secrets: new MemorySecrets(),
    notifications: new RecordingSink(),
    server: { url: b.url(), token: b.token(RHEA) },
  });
});
after(async () => {
  await core?.close();
  killAll();
  cleanupTempDirs();
});

async function call(channel: string, input: unknown = {}): Promise<any> {
  const r = await core.dispatch(channel, input);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
  return r.data;
}

test('Try it and Replay answer from the cache with the server unreachable', async () => {
  const dir = await until(
    async () => {
      const d = await call('directory.get');
      return d.policies.length > 0 && (await call('inbox.query', { limit: 1 })).total > 0 && d;
    },
    15_000,
    'first sync',
  );
  await b.server.stop();
  await until(async () => (await call('status.get')).state === 'offline' && true, 15_000, 'offline');

  const checkout = dir.projects.find((p: any) => p.name === 'checkout');
  const env = (name: string) => dir.environments.find((e: any) => e.projectId === checkout.id && e.name === name);
  const team = (name: string) => dir.teams.find((t: any) => t.name === name).id;
  const draft = {
    name: 'Production Release Approval (checkout)',
    actions: ['release.deploy'],
    approvers: { userIds: [], teamIds: [team('Security'), team('SRE')], orgRoles: [] },
    quorum: { minApprovals: 2, requiredTeamIds: [team('Security')] },
    conditions: { environments: ['production'] },
    bindings: [{ scope: 'project', targetId: checkout.id }],
  };

  const prod = await call('policy.try', { draft, action: 'release.deploy', resource: { environmentId: env('production').id }, justification: 'ship' });
  assert.equal(prod.draft.outcome, 'pending');
  const own = prod.draft.gates.find((g: any) => g.fromDraft);
  assert.equal(own.name, draft.name);
  assert.deepEqual(own.needs, ['2 more approvals', 'approval from team Security']);
  assert.deepEqual(own.whoCanApprove.map((u: any) => u.name).sort(), ['Ines Duarte', 'Lena Fischer', 'Omar Haddad', 'Priya Nair', 'Sam Ortiz']);
  assert.ok(!prod.saved.gates.some((g: any) => g.fromDraft), 'the saved verdict knows nothing of the draft');
  assert.equal(prod.saved.gates.length + 1, prod.draft.gates.length);

  const staging = await call('policy.try', { draft, action: 'release.deploy', resource: { environmentId: env('staging').id }, justification: 'ship' });
  assert.ok(!staging.draft.gates.some((g: any) => g.fromDraft));
  assert.deepEqual(staging.draft, staging.saved);

  // as another requester: a Security member cannot approve their own request
  const lena = dir.users.find((u: any) => u.name === 'Lena Fischer');
  const asLena = await call('policy.try', {
    draft,
    action: 'release.deploy',
    resource: { environmentId: env('production').id },
    requesterId: lena.id,
    justification: 'x',
  });
  assert.equal(asLena.requesterId, lena.id);
  assert.ok(!asLena.draft.gates.find((g: any) => g.fromDraft).whoCanApprove.some((u: any) => u.id === lena.id));

  const replay = await call('policy.replay', { draft });
  assert.ok(replay.considered > 0);
  assert.ok(replay.gated > 0, 'the demo history has checkout production deploys');
  assert.ok(replay.approvers.length > 0);
  assert.ok(replay.examples.every((x: any) => x.effect === 'gated'));

  // bad input: a clear refusal naming what is wrong
  const unknownEnv = await core.dispatch('policy.try', { draft, action: 'release.deploy', resource: { environmentId: 'env_nope' } });
  assert.equal(unknownEnv.ok, false);
  assert.match((unknownEnv as any).error.message, /unknown environment "env_nope"/);
  const badBinding = await core.dispatch('policy.replay', { draft: { ...draft, bindings: [{ scope: 'project', targetId: 'proj_nope' }] } });
  assert.equal((badBinding as any).error.code, 'invalid_input');
  assert.match((badBinding as any).error.message, /draft\.bindings\.0\.targetId: unknown project "proj_nope"/);
  const badRequester = await core.dispatch('policy.try', {
    draft,
    action: 'release.deploy',
    resource: { environmentId: env('production').id },
    requesterId: 'usr_nope',
  });
  assert.match((badRequester as any).error.message, /requesterId: unknown user "usr_nope"/);
  const noEnv = await core.dispatch('policy.try', { draft, action: 'release.deploy', resource: {} });
  assert.match((noEnv as any).error.message, /release.deploy needs an environment/);
});

test("Try it runs the draft's content rules offline: risk facts from the diff, the cost and the plan, each rule's result in the verdict", async () => {
  const dir = await call('directory.get');
  const checkout = dir.projects.find((p: any) => p.name === 'checkout');
  const staging = dir.environments.find((e: any) => e.projectId === checkout.id && e.name === 'staging');
  const sre = dir.teams.find((t: any) => t.name === 'SRE').id;
  const draft = {
    name: 'Staging content rules',
    actions: ['release.deploy'],
    approvers: { userIds: [], teamIds: [sre], orgRoles: [] },
    quorum: { minApprovals: 0 },
    rules: [
      { name: 'no deletions', when: 'risk.deletedResources > 0', outcome: 'deny', message: 'staging keeps its volumes' },
      { name: 'costly', when: 'has_cost && cost.monthlyCostDiff > 100', outcome: 'pending', quorum: { minApprovals: 2 } },
      { name: 'db destroy', when: 'has(plan.resource_changes) && plan.resource_changes.exists(c, "delete" in c.change.actions)', outcome: 'warn' },
    ],
    bindings: [{ scope: 'project', targetId: checkout.id }],
  };
  const ask = { draft, action: 'release.deploy', resource: { environmentId: staging.id }, justification: 'ship' };
  const byRule = (v: any) => Object.fromEntries(v.rules.filter((r: any) => r.policyId === 'draft').map((r: any) => [r.rule, r.matched]));

  const plain = await call('policy.try', ask);
  assert.deepEqual(byRule(plain.draft), { 'no deletions': false, costly: false, 'db destroy': false });
  assert.equal(plain.draft.outcome, plain.saved.outcome, 'no rule matched: the draft changes nothing');
  assert.deepEqual(
    plain.saved.rules.filter((r: any) => r.policyId === 'draft'),
    [],
    'the saved verdict has no draft rules',
  );

  const deletes = [
    'diff --git a/k8s/pvc.yaml b/k8s/pvc.yaml',
    'deleted file mode 100644',
    '--- a/k8s/pvc.yaml',
    '+++ /dev/null',
    '@@ -1,2 +0,0 @@',
    '-apiVersion: v1',
    '-kind: PersistentVolumeClaim',
    '',
  ].join('\n');
  const denied = await call('policy.try', { ...ask, diff: deletes });
  assert.equal(byRule(denied.draft)['no deletions'], true);
  assert.equal(denied.draft.outcome, 'deny');
  assert.ok(
    denied.draft.refused.details.some((d: string) => /staging keeps its volumes/.test(d)),
    denied.draft.refused.details.join('; '),
  );

  const plan = { resource_changes: [{ address: 'aws_db_instance.main', change: { actions: ['delete'] } }] };
  const costly = await call('policy.try', { ...ask, cost: { totalMonthlyCost: 900, monthlyCostDiff: 250 }, plan });
  assert.deepEqual(byRule(costly.draft), { 'no deletions': false, costly: true, 'db destroy': true });
  assert.equal(costly.draft.outcome, 'pending');
  assert.deepEqual(costly.draft.gates.find((g: any) => g.fromDraft).needs, ['2 more approvals']);

  const badPlan = await core.dispatch('policy.try', { ...ask, plan: { resource_changes: [{ address: 1 }] } });
  assert.equal(badPlan.ok, false);
  assert.match((badPlan as any).error.message, /plan\.resource_changes\.0/);
});

test('the new request preview runs the content rules as the server will, offline: the cost limit refuses, an untagged image warns, and a rule that allows drops its gate', async () => {
  const dir = await call('directory.get');
  const checkout = dir.projects.find((p: any) => p.name === 'checkout');
  const env = (name: string) => dir.environments.find((e: any) => e.projectId === checkout.id && e.name === name).id;
  const ask = (environment: string, content: Record<string, unknown> = {}) =>
    call('preview.action', { action: 'release.deploy', resource: { environmentId: env(environment) }, justification: 'ship', ...content });

  // The demo's "Untagged Images" policy binds the whole organisation but allows whatever has no
  // untagged image: without the rules its gate would show on every deploy.
  const plain = await ask('staging');
  assert.ok(!plain.gates.includes('Untagged Images'), plain.gates.join(', '));

  const costly = await ask('production', { cost: { totalMonthlyCost: 4000, monthlyCostDiff: 750 } });
  assert.equal(costly.outcome, 'deny');
  assert.match(costly.message, /Policy "Production Cost Limit", rule "monthly cost limit": the monthly cost rises by more than 500/);

  const untagged = [
    'diff --git a/k8s/web.yaml b/k8s/web.yaml',
    '--- a/k8s/web.yaml',
    '+++ b/k8s/web.yaml',
    '@@ -1,2 +1,2 @@',
    ' kind: Deployment',
    '-      image: registry.example.com/checkout/web:1.4.2',
    '+      image: registry.example.com/checkout/web',
    '',
  ].join('\n');
  const warned = await ask('staging', { diff: untagged });
  assert.ok(
    warned.warnings.some((w: string) => /rule "untagged image"/.test(w)),
    warned.warnings.join('; '),
  );

  const bad = await core.dispatch('preview.action', {
    action: 'release.deploy',
    resource: { environmentId: env('staging') },
    cost: { totalMonthlyCost: -1, monthlyCostDiff: 0 },
  });
  assert.equal(bad.ok, false);
  assert.match((bad as any).error.message, /cost\.totalMonthlyCost/);
});
