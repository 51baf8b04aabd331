// `gatehouse policy export | apply | test` as users run them, against a real demo server: the
// round trip is a no-op, apply makes the server match the file (and then has nothing left to do),
// a dry run and a refused file change nothing, and test judges cases with the engine.
import { after, before, describe, test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { parse, stringify } from 'yaml';
import { BindingsResponse, PoliciesResponse } from '../../shared/schemas/index.ts';
import { apiFor, cleanupTempDirs, demoDir, expectOk, killAll, runCli, startServer, tempDir, type ServerProcess } from './harness.ts';

after(() => {
  killAll();
  cleanupTempDirs();
});

const OWNER = 'olivia.hart@example.com';
const DEV = 'dev.patel@example.com'; // member, Developers

interface FilePolicy {
  name: string;
  quorum: { minApprovals: number };
  rules?: { name: string; when: string; outcome: string; message?: string }[];
  bindings: { scope: string; target?: string }[];
  [key: string]: unknown;
}
interface PolicyFile {
  apiVersion: string;
  kind: string;
  policies: FilePolicy[];
}

describe('gatehouse policy against a demo server', () => {
  let server: ServerProcess;
  let token: (email: string) => string;
  const dir = tempDir();

  before(async () => {
    const demo = await demoDir();
    token = demo.token;
    server = await startServer(demo.dir);
  });
  after(async () => {
    await server?.stop();
  });

  const env = (who = OWNER) => ({ GATEHOUSE_TOKEN: token(who) });
  const policyCli = (args: string[], who = OWNER) => runCli(['policy', ...args, '--server', server.url], { env: env(who) });
  /** What the server holds, to show a command changed nothing (or what it changed). */
  const snapshot = async () => {
    const api = apiFor(server.url, token(OWNER));
    return {
      policies: expectOk(await api.get('/api/policies'), 200, PoliciesResponse).policies,
      bindings: expectOk(await api.get('/api/bindings'), 200, BindingsResponse).bindings,
    };
  };
  const exported = async (): Promise<string> => {
    const r = await policyCli(['export']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const write = (name: string, content: string | PolicyFile) => {
    const file = join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : stringify(content, { lineWidth: 0 }));
    return file;
  };

  test('export is by name and byte-identical twice; applying it is a no-op', async () => {
    const first = await exported();
    assert.equal(await exported(), first);
    const doc = parse(first) as PolicyFile;
    assert.equal(doc.apiVersion, 'gatehouse/v1');
    assert.equal(doc.kind, 'Policies');
    const names = doc.policies.map((p) => p.name);
    assert.deepEqual(names, [...names].sort(), 'policies in name order');
    const cost = doc.policies.find((p) => p.name === 'Production Cost Limit')!;
    const targets = cost.bindings.map((b) => `${b.scope} ${b.target}`);
    assert.ok(targets.includes('environment checkout/production') && targets.includes('environment payments/production'), targets.join());
    assert.deepEqual(targets, [...targets].sort(), 'bindings in target order');
    assert.doesNotMatch(first, /\b(usr|team|pol|bnd|env|prj)_/, 'no ids in the file');

    const before = await snapshot();
    const outFile = join(dir, 'exported.yaml');
    const o = await policyCli(['export', '-o', outFile]);
    assert.equal(o.code, 0, o.stderr);
    assert.equal(readFileSync(outFile, 'utf8'), first);
    const r = await policyCli(['apply', '-f', outFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'No changes.');
    assert.deepEqual(await snapshot(), before);
  });

  test('apply creates, patches only what changed, binds, unbinds and deletes; a second apply changes nothing', async () => {
    const doc = parse(await exported()) as PolicyFile;
    const credential = doc.policies.find((p) => p.name === 'Credential Issue')!;
    credential.quorum.minApprovals = 3;
    const cost = doc.policies.find((p) => p.name === 'Production Cost Limit')!;
    cost.bindings = cost.bindings.filter((b) => b.target !== 'payments/production');
    doc.policies = doc.policies.filter((p) => p.name !== 'Incident Freeze Review');
    doc.policies.push({
      name: 'Big Staging Changes',
      actions: ['release.deploy'],
      approvers: { teams: ['SRE'], users: [DEV] },
      quorum: { minApprovals: 1 },
      rules: [{ name: 'big diff', when: 'risk.linesAdded > 100', outcome: 'warn', message: 'a big change' }],
      bindings: [{ scope: 'environment', target: 'checkout/staging' }],
    });
    const file = write('changed.yaml', doc);
    const before = await snapshot();

    const dry = await policyCli(['apply', '-f', file, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    const plan = [
      '~ update policy "Credential Issue": quorum',
      '- unbind "Production Cost Limit" from environment payments/production',
      '+ create policy "Big Staging Changes"',
      '+ bind "Big Staging Changes" to environment checkout/staging',
      '- delete policy "Incident Freeze Review" (and its binding)',
    ];
    for (const line of plan) assert.ok(dry.stdout.includes(line), `dry run plans ${line}\n${dry.stdout}`);
    assert.match(dry.stdout, /Dry run: 5 changes planned, nothing applied\./);
    assert.deepEqual(await snapshot(), before, 'a dry run changes nothing');

    const r = await policyCli(['apply', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    for (const line of plan) assert.ok(r.stdout.includes(line), line);
    assert.match(r.stdout, /Applied 5 changes\./);

    const now = await snapshot();
    const byName = (n: string) => now.policies.find((p) => p.name === n);
    assert.equal(byName('Incident Freeze Review'), undefined);
    assert.equal(byName('Credential Issue')!.quorum.minApprovals, 3);
    assert.equal(byName('Credential Issue')!.id, before.policies.find((p) => p.name === 'Credential Issue')!.id, 'updated in place');
    const created = byName('Big Staging Changes')!;
    assert.deepEqual(
      created.rules?.map((x) => x.name),
      ['big diff'],
    );
    assert.equal(now.bindings.filter((b) => b.policyId === created.id).length, 1);
    const costId = byName('Production Cost Limit')!.id;
    assert.equal(now.bindings.filter((b) => b.policyId === costId).length, before.bindings.filter((b) => b.policyId === costId).length - 1);

    const again = await policyCli(['apply', '-f', file]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), 'No changes.');
    assert.deepEqual(await snapshot(), now);
  });

  test('an escalation added, then left out of the file: patched in, then removed', async () => {
    const doc = parse(await exported()) as PolicyFile;
    const credential = doc.policies.find((p) => p.name === 'Credential Issue')!;
    credential.escalation = { afterMinutes: 30, approvers: { teams: ['Platform'] } };
    const file = write('escalation.yaml', doc);
    const add = await policyCli(['apply', '-f', file]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /^~ update policy "Credential Issue": escalation$/m);
    const saved = () => snapshot().then((s) => s.policies.find((p) => p.name === 'Credential Issue')!);
    assert.equal((await saved()).escalation?.afterMinutes, 30);
    assert.match(await exported(), /escalation:\n\s+afterMinutes: 30\n\s+approvers:\n\s+users: \[\]\n\s+teams:\n\s+- Platform/);

    delete credential.escalation;
    const remove = await policyCli(['apply', '-f', write('no-escalation.yaml', doc)]);
    assert.equal(remove.code, 0, remove.stderr);
    assert.match(remove.stdout, /^~ update policy "Credential Issue": escalation$/m);
    assert.equal((await saved()).escalation, undefined);
  });

  test('a rule that does not compile: exit 1 with its position, nothing applied', async () => {
    const doc = parse(await exported()) as PolicyFile;
    doc.policies[0]!.quorum.minApprovals += 1;
    doc.policies[0]!.rules = [{ name: 'broken', when: 'risk.linesAdded >', outcome: 'deny' }];
    const before = await snapshot();
    const r = await policyCli(['apply', '-f', write('bad-rule.yaml', doc)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /rule "broken": .*\(at position \d+\)/);
    assert.match(r.stderr, /nothing was applied/);
    assert.deepEqual(await snapshot(), before);
  });

  test('a refusal from the server: exit 1, printed in full, saying what was not applied', async () => {
    const doc = parse(await exported()) as PolicyFile;
    doc.policies[0]!.quorum.minApprovals += 1;
    const before = await snapshot();
    const r = await policyCli(['apply', '-f', write('member.yaml', doc)], DEV);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /~ update policy ".*": quorum failed: only owners and admins .*\(HTTP 403 forbidden\)/);
    assert.match(r.stderr, /Nothing was applied\./);
    assert.deepEqual(await snapshot(), before);
  });

  test('bad YAML, unknown keys, names that do not resolve and bad flags: exit 2 with where', async () => {
    const before = await snapshot();
    const yaml = await policyCli(['apply', '-f', write('broken.yaml', 'apiVersion: gatehouse/v1\npolicies: [\n  - a: b\n')]);
    assert.equal(yaml.code, 2);
    assert.match(yaml.stderr, /broken\.yaml:\d+: not valid YAML/);

    const doc = parse(await exported()) as PolicyFile;
    (doc.policies[1]!.quorum as Record<string, unknown>).minAprovals = 2;
    const typo = await policyCli(['apply', '-f', write('typo.yaml', doc)]);
    assert.equal(typo.code, 2);
    const line =
      stringify(doc, { lineWidth: 0 })
        .split('\n')
        .findIndex((l) => l.includes('minAprovals')) + 1;
    assert.match(typo.stderr, new RegExp(`typo\\.yaml:${line}: policies\\[1\\]\\.quorum: .*minAprovals`));

    const unknown = parse(await exported()) as PolicyFile;
    unknown.policies[0]!.approvers = { teams: ['Nobody Team'], users: ['ghost@example.com'] };
    unknown.policies[0]!.bindings = [{ scope: 'environment', target: 'checkout/moon' }];
    const names = await policyCli(['apply', '-f', write('names.yaml', unknown)]);
    assert.equal(names.code, 2);
    assert.match(names.stderr, /no team "Nobody Team"/);
    assert.match(names.stderr, /no user with email "ghost@example.com"/);
    assert.match(names.stderr, /no environment "checkout\/moon"/);

    const version = await policyCli(['apply', '-f', write('v2.yaml', { ...doc, apiVersion: 'gatehouse/v2' })]);
    assert.equal(version.code, 2);
    assert.match(version.stderr, /apiVersion/);

    const flag = await policyCli(['apply', '--bogus']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /bogus/);
    const missing = await policyCli(['apply']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--file is required/);
    const sub = await policyCli(['frobnicate']);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /unknown policy command "frobnicate"/);
    assert.deepEqual(await snapshot(), before);
  });

  const COST_CASES = `now: 2026-03-10T11:00:00+03:00
cases:
  - name: a cost rise over 500 is denied by the rule
    input:
      action: release.deploy
      project: checkout
      environment: production
      requester: ${DEV}
      justification: quarterly release
      payload: {revision: abc, cost: {totalMonthlyCost: 2000, monthlyCostDiff: 600}}
    expect: deny
    expectMessage: the monthly cost rises by more than 500
  - name: a dev deploy goes through
    input: {action: release.deploy, project: checkout, environment: dev, requester: ${DEV}}
    expect: allow
  - name: a diff deleting a PersistentVolumeClaim in production is denied by its risk facts
    input:
      action: release.deploy
      project: checkout
      environment: production
      requester: ${DEV}
      justification: drop the old volume
      payload:
        diff: |
          diff --git a/k8s/data.yaml b/k8s/data.yaml
          deleted file mode 100644
          --- a/k8s/data.yaml
          +++ /dev/null
          @@ -1,4 +0,0 @@
          -apiVersion: v1
          -kind: PersistentVolumeClaim
          -metadata:
          -  name: orders-data
    expect: deny
    expectMessage: deleting a PersistentVolumeClaim in production is not allowed
`;

  test('test: ok per case and exit 0 when every expectation holds; FAIL and exit 1 on a wrong one', async () => {
    const policies = join(dir, 'for-test.yaml');
    writeFileSync(policies, await exported());
    const good = await policyCli(['test', '-f', policies, '--cases', write('cases.yaml', COST_CASES)]);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /^ok\s+a cost rise over 500 is denied by the rule$/m);
    assert.match(good.stdout, /^ok\s+a dev deploy goes through$/m);
    assert.match(good.stdout, /^ok\s+a diff deleting a PersistentVolumeClaim in production is denied by its risk facts$/m);

    const wrong = COST_CASES.replace('expect: deny', 'expect: pending');
    const bad = await policyCli(['test', '-f', policies, '--cases', write('wrong.yaml', wrong)]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^FAIL\s+a cost rise over 500 is denied by the rule$/m);
    assert.match(bad.stdout, /expected pending, got deny/);
    assert.match(bad.stdout, /^ok\s+a dev deploy goes through$/m);

    const noNow = await policyCli(['test', '-f', policies, '--cases', write('no-now.yaml', COST_CASES.replace(/^now: .*\n/, ''))]);
    assert.equal(noNow.code, 2);
    assert.match(noNow.stderr, /no `now`/);
  });
});

describe('gatehouse policy test offline', () => {
  const dir = tempDir();
  const POLICIES = `apiVersion: gatehouse/v1
kind: Policies
policies:
  - name: Terraform destroy
    actions: [release.deploy]
    approvers: {teams: [SRE, Security]}
    quorum: {minApprovals: 1}
    rules:
      - name: destroy
        when: risk.terraformDestroys > 0 || (has(plan.resource_changes) && plan.resource_changes.exists(c, "delete" in c.change.actions))
        outcome: pending
        quorum: {minApprovals: 2, requiredTeams: [Security]}
      - {name: otherwise, when: "true", outcome: allow}
    bindings:
      - {scope: environment, target: infra/production}
`;
  const CASES = `now: 2026-03-10T11:00:00Z
directory:
  teams: [SRE, Security]
  users:
    - {email: dev@example.com, teams: [SRE]}
  projects:
    - name: infra
      environments: [{name: production}]
cases:
  - name: a destroy needs two approvals including Security
    input:
      action: release.deploy
      environment: production
      requester: dev@example.com
      payload:
        plan: {resource_changes: [{address: aws_db.main, change: {actions: [delete]}}]}
    expect: pending
    expectGates: [Terraform destroy]
  - name: no destroy, no gate
    input: {action: release.deploy, project: infra, environment: production, requester: dev@example.com}
    expect: allow
`;

  test('a directory: section in the cases file: no server needed', async () => {
    const policies = join(dir, 'p.yaml');
    writeFileSync(policies, POLICIES);
    const cases = join(dir, 'c.yaml');
    writeFileSync(cases, CASES);
    const r = await runCli(['policy', 'test', '-f', policies, '--cases', cases]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok\s+a destroy needs two approvals including Security$/m);
    assert.match(r.stdout, /^ok\s+no destroy, no gate$/m);

    writeFileSync(cases, CASES.replace('expect: allow', 'expect: pending'));
    const wrong = await runCli(['policy', 'test', '-f', policies, '--cases', cases]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, /^FAIL\s+no destroy, no gate$/m);

    writeFileSync(cases, CASES.replace('requester: dev@example.com}', 'requester: who@example.com}'));
    const who = await runCli(['policy', 'test', '-f', policies, '--cases', cases]);
    assert.equal(who.code, 2);
    assert.match(who.stderr, /no user with email "who@example.com"/);
  });
});
