import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RULE_OUTCOMES } from '../schemas/index.ts';
import type { PolicyRule, RiskFacts, RuleOutcome } from '../schemas/index.ts';
import { NO_RISK } from '../diff/risk-facts.ts';
import type { RuleDirectory } from './action-input.ts';
import { INCOMPLETE_RISK, INCOMPLETE_RISK_RULE } from './rules.ts';
import { evaluateAction, gateFromPolicy, raiseGate, ruleInputAt, ruleInputBase, ruleIssues, rulesAtDecision, strictest } from './index.ts';
import { actionInput, approve, environment, orgBinding, policy, reject, session, user } from './testing.ts';

const rick = user('rick', { name: 'Rick Member', teamIds: ['platform'] });
const adam = user('adam', { name: 'Adam Admin', orgRole: 'admin' });
const lena = user('lena', { name: 'Lena Fischer', teamIds: ['security'] });
const sam = user('sam', { name: 'Sam SRE', teamIds: ['sre'] });
const prod = environment('env_prod', { name: 'production' });
const directory: RuleDirectory = {
  users: [rick, adam, lena, sam],
  teams: [
    { id: 'platform', name: 'Platform' },
    { id: 'security', name: 'Security' },
    { id: 'sre', name: 'SRE' },
  ],
  projects: [{ id: 'proj_api', name: 'api' }],
  clusters: [{ id: 'cl_eu', name: 'prod-eu-1' }],
};
const risk = (over: Partial<RiskFacts> = {}): RiskFacts => ({ ...NO_RISK, ...over });

const rule = (name: string, when: string, outcome: RuleOutcome, over: Partial<PolicyRule> = {}): PolicyRule => ({ name, when, outcome, ...over });
const ruled = (id: string, rules: PolicyRule[], over: Parameters<typeof policy>[1] = {}) =>
  policy(id, { name: id, approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] }, rules, ...over });

function judge(rules: PolicyRule[], over: Partial<Parameters<typeof actionInput>[0]> = {}) {
  const p = ruled('pol', rules);
  return evaluateAction(
    actionInput({
      requester: rick,
      environment: prod,
      resource: { environmentId: 'env_prod' },
      policies: [p],
      bindings: [orgBinding('pol')],
      directory,
      ...over,
    }),
  );
}

describe('content rules: the four outcomes', () => {
  it('deny refuses with 422 policy_violations and the rule message, and records every rule', () => {
    const ev = judge(
      [rule('cost cap', 'cost.monthlyCostDiff > 500', 'deny', { message: 'Monthly cost may rise by at most 500' }), rule('other', 'false', 'warn')],
      {
        content: { cost: { totalMonthlyCost: 900, monthlyCostDiff: 600 } },
      },
    );
    assert.equal(ev.outcome, 'deny');
    assert.deepEqual(ev.deny, {
      status: 422,
      code: 'policy_violations',
      message: 'policy violations',
      details: [{ policyId: 'pol', message: 'Policy "pol", rule "cost cap": Monthly cost may rise by at most 500' }],
    });
    assert.deepEqual(ev.ruleResults, [
      { policyId: 'pol', rule: 'cost cap', matched: true, outcome: 'deny' },
      { policyId: 'pol', rule: 'other', matched: false, outcome: 'warn' },
    ]);
  });

  it('a deny with no message names the rule; a cost of exactly the limit passes', () => {
    assert.equal(
      judge([rule('cost cap', 'cost.monthlyCostDiff > 500', 'deny')], { content: { cost: { totalMonthlyCost: 1, monthlyCostDiff: 501 } } }).deny?.details?.[0]
        ?.message,
      'Policy "pol", rule "cost cap": cost cap',
    );
    assert.equal(
      judge([rule('cost cap', 'cost.monthlyCostDiff > 500', 'deny')], { content: { cost: { totalMonthlyCost: 1, monthlyCostDiff: 500 } } }).outcome,
      'pending',
    );
  });

  it('warn lets the request through past its gate with the warning recorded', () => {
    const ev = judge([rule('untagged', 'risk.untaggedImages > 0', 'warn', { message: 'an image has no tag' })], {
      content: { risk: risk({ imageChanges: 1, untaggedImages: 1 }) },
    });
    assert.equal(ev.outcome, 'warn');
    assert.deepEqual(ev.gates, []);
    assert.deepEqual(ev.warnings, ['Policy "pol", rule "untagged": an image has no tag']);
  });

  it('allow drops the gate; no rule matching leaves the ordinary gate', () => {
    const allow = judge([rule('docs only', 'risk.filesChanged == 0', 'allow')]);
    assert.equal(allow.outcome, 'allow');
    assert.deepEqual(allow.gates, []);
    assert.deepEqual(allow.warnings, []);
    const none = judge([rule('docs only', 'risk.filesChanged == 0', 'allow')], { content: { risk: risk({ filesChanged: 3 }) } });
    assert.equal(none.outcome, 'pending');
    assert.deepEqual(none.gates, [gateFromPolicy(ruled('pol', [rule('docs only', 'risk.filesChanged == 0', 'allow')]))]);
  });

  it('risk facts cut short at the time budget never let a change through on the rules that read them', () => {
    const rules = [rule('no deletions', 'risk.deletedResources > 0', 'deny'), rule('otherwise', 'true', 'allow')];
    assert.equal(judge(rules, { content: { risk: risk({ filesChanged: 40 }) } }).outcome, 'allow');
    const cut = judge(rules, { content: { risk: risk({ filesChanged: 40, complete: false }) } });
    assert.equal(cut.outcome, 'pending');
    assert.deepEqual(cut.gates, [gateFromPolicy(ruled('pol', rules))]);
    assert.deepEqual(cut.ruleResults?.at(-1), { policyId: 'pol', rule: INCOMPLETE_RISK_RULE, matched: true, outcome: 'pending', error: INCOMPLETE_RISK });
    // What the facts did count still denies; rules that read no facts are judged as ever.
    assert.equal(judge(rules, { content: { risk: risk({ deletedResources: 1, complete: false }) } }).outcome, 'deny');
    assert.equal(judge([rule('all', 'true', 'allow')], { content: { risk: risk({ complete: false }) } }).outcome, 'allow');
    // And authors can read it themselves.
    assert.equal(judge([rule('cut', '!risk.complete', 'deny')], { content: { risk: risk({ complete: false }) } }).outcome, 'deny');
  });

  it('pending raises the quorum: the larger numbers, the union of requirements, and the required become approvers', () => {
    const ev = judge(
      [
        rule('destroy', 'risk.terraformDestroys > 0', 'pending', {
          quorum: { minApprovals: 2, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: ['security'], requiredOrgRoles: [] },
        }),
        rule('rbac', 'risk.rbacChanges > 0', 'pending', {
          quorum: { minApprovals: 1, minDistinctTeams: 2, requiredUserIds: ['lena'], requiredTeamIds: [], requiredOrgRoles: [] },
        }),
      ],
      { content: { risk: risk({ terraformDestroys: 1, rbacChanges: 2 }) } },
    );
    assert.equal(ev.outcome, 'pending');
    const g = ev.gates[0]!;
    assert.deepEqual(g.quorum, { minApprovals: 2, minDistinctTeams: 2, requiredUserIds: ['lena'], requiredTeamIds: ['security'], requiredOrgRoles: [] });
    assert.deepEqual(g.approvers, { userIds: ['lena'], teamIds: ['sre', 'security'], orgRoles: [] });
  });

  it('a deny refuses admins too; break-glass still goes past every rule', () => {
    const deny = [rule('never', 'true', 'deny')];
    assert.equal(judge(deny, { requester: adam }).deny?.status, 422);
    const bg = judge(deny, { breakGlassSessions: [session('bg1')] });
    assert.equal(bg.outcome, 'warn');
    assert.equal(bg.breakGlassSessionId, 'bg1');
  });

  it('a rule deny and a missing reason are listed together', () => {
    const ev = judge([rule('never', 'true', 'deny')], {
      justification: ' ',
      policies: [ruled('pol', [rule('never', 'true', 'deny')], { conditions: { requireReason: true } })],
    });
    assert.deepEqual(
      ev.deny?.details?.map((d) => d.message),
      ['Policy "pol" requires a reason (justification)', 'Policy "pol", rule "never": never'],
    );
  });
});

describe('content rules: an error never allows', () => {
  const failing = [
    '1 / 0 == 1',
    'plan.resource_changes.exists(c, "delete" in c.change.actions)',
    'plan.foo == 1',
    'dyn(risk.linesAdded) == "x" || dyn(1) + dyn("a") == 2',
  ];
  for (const when of failing) {
    it(`"${when}" counts as pending with its error recorded`, () => {
      const ev = judge([rule('broken', when, 'allow'), rule('fine', 'true', 'allow')]);
      assert.equal(ev.outcome, 'pending', when);
      const r = ev.ruleResults?.find((x) => x.rule === 'broken');
      assert.equal(r?.outcome, 'pending');
      assert.equal(r?.matched, true);
      assert.ok(r?.error && r.error.length > 3, r?.error);
    });
  }

  it('an unknown timezone makes every rule an error, never a pass', () => {
    const p = ruled('pol', [rule('always', 'true', 'allow')]);
    const gate = { ...gateFromPolicy(p), timezone: 'Mars/Olympus_Mons' };
    const base = ruleInputBase({ action: 'release.deploy', justification: '', requester: rick, resource: {} });
    assert.equal(ruleInputAt(base, gate.timezone, new Date('2024-06-03T10:00:00Z')), undefined);
  });
});

describe('content rules: the input', () => {
  it('names, teams, approvals, cost, plan and now in the policy timezone', () => {
    const base = ruleInputBase({
      action: 'release.deploy',
      justification: 'fix',
      requester: rick,
      resource: { environmentId: 'env_prod' },
      environment: prod,
      content: { revision: 'abc', cost: { totalMonthlyCost: 10, monthlyCostDiff: 2 } },
      directory,
      decisions: [approve('lena'), reject('sam'), approve('lena'), approve('ghost')],
    });
    const input = ruleInputAt(base, 'Europe/Istanbul', new Date('2024-06-02T22:30:00Z'))!;
    assert.deepEqual(input.environment, { name: 'production', protection: 'none' });
    assert.deepEqual(input.project, { name: 'api' });
    assert.deepEqual(input.cluster, { name: 'prod-eu-1' });
    assert.deepEqual((input.requester as { teams: string[] }).teams, ['Platform']);
    assert.deepEqual(input.approvals, [{ name: 'Lena Fischer', email: 'lena@example.com', orgRole: 'member', roles: [], teams: ['Security'] }]);
    assert.equal(input.has_cost, true);
    assert.deepEqual(input.plan, {});
    // Sunday 22:30 UTC is Monday 01:30 in Istanbul.
    assert.deepEqual(input.now, { weekday: 'monday', hour: 1n });
  });

  it('rules read them with ints and doubles compared, and names as strings', () => {
    const cases: [string, boolean][] = [
      ['requester.teams.exists(t, t == "Platform") && project.name == "api" && cluster.name == "prod-eu-1"', true],
      ['cost.monthlyCostDiff > 1 && cost.totalMonthlyCost == 10', true],
      ['cost.totalMonthlyCost in [5, 10] && risk.linesAdded == 0.0', true],
      ['risk.linesAdded >= 0.5', false],
      ['now.weekday == "monday" && now.hour < 9', true],
      ['approvals.exists(a, "Security" in a.teams)', true],
    ];
    for (const [when, expected] of cases) {
      const ev = judge([rule('r', when, 'deny')], {
        now: new Date('2024-06-02T22:30:00Z'),
        policies: [ruled('pol', [rule('r', when, 'deny')], { conditions: { timezone: 'Europe/Istanbul' } })],
        content: { cost: { totalMonthlyCost: 10, monthlyCostDiff: 2 } },
        decisions: [approve('lena')],
      });
      assert.equal(ev.outcome === 'deny', expected, when);
    }
  });

  it('compile errors carry their position', () => {
    const issues = ruleIssues([rule('typo', 'risk.terraformDestroys > 0 && risk.deletedResource > 0', 'deny'), rule('typo', 'true', 'deny')]);
    assert.equal(issues[0]?.rule, 'typo');
    assert.match(issues[0]!.message, /deletedResource/);
    // The position points into the expression: at the misspelt field.
    assert.equal(issues[0]?.position, 'risk.terraformDestroys > 0 && risk.deletedResource > 0'.indexOf('deletedResource'));
    assert.match(issues[1]!.message, /two rules are named/);
    assert.match(ruleIssues([rule('num', '1 + 1', 'deny')])[0]!.message, /true or false/);
  });
});

describe('content rules at a decision', () => {
  const needsSecurity = rule('destroy needs security', 'risk.terraformDestroys > 0 && !approvals.exists(a, "Security" in a.teams)', 'pending', {
    quorum: { minApprovals: 2, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: ['security'], requiredOrgRoles: [] },
  });
  const gate = gateFromPolicy(ruled('pol', [needsSecurity]));
  const req = (over: object = {}) => ({
    action: 'release.deploy' as const,
    resource: { environmentId: 'env_prod' },
    justification: 'x',
    payload: { diffBytes: 0, diffLines: 0 },
    risk: risk({ terraformDestroys: 1 }),
    gates: [gate],
    ...over,
  });
  const ctx = (decisions: ReturnType<typeof approve>[]) => ({
    requester: rick,
    environment: prod,
    directory,
    decisions,
    now: new Date('2024-06-03T10:00:00Z'),
  });

  it('a pending rule raises the snapshot, and raising again changes nothing', () => {
    const first = rulesAtDecision(req(), ctx([approve('sam')]));
    assert.equal(first.gates[0]!.quorum.minApprovals, 2);
    assert.deepEqual(first.gates[0]!.quorum.requiredTeamIds, ['security']);
    const again = rulesAtDecision(req({ gates: first.gates }), ctx([approve('sam')]));
    assert.equal(again.gates, first.gates);
    assert.equal(again.deny, undefined);
  });

  it('allow and warn never loosen a gate at a decision; a deny is reported once', () => {
    const loose = gateFromPolicy(ruled('pol', [rule('ok', 'true', 'allow'), rule('w', 'true', 'warn')]));
    const r = rulesAtDecision(req({ gates: [loose] }), ctx([approve('sam')]));
    assert.equal(r.gates[0], loose);
    assert.equal(r.deny, undefined);
    const denying = gateFromPolicy(ruled('pol', [rule('two', 'approvals.size() > 1', 'deny', { message: 'too many cooks' })]));
    const d = rulesAtDecision(req({ gates: [denying] }), ctx([approve('sam'), approve('lena')]));
    assert.deepEqual(d.deny, { policyId: 'pol', rule: 'two', message: 'Policy "pol", rule "two": too many cooks' });
  });

  it('gates without rules are returned as they are', () => {
    const plain = gateFromPolicy(policy('plain'));
    const r = rulesAtDecision(req({ gates: [plain] }), ctx([]));
    assert.equal(r.ruleResults, undefined);
    assert.equal(r.gates[0], plain);
  });
});

// Constant rules stand for any expression: what matters is which match, which fail, and their outcomes.
const arbRule = fc.record({
  when: fc.constantFrom('true', 'false', '1 / 0 == 1'),
  outcome: fc.constantFrom(...RULE_OUTCOMES),
});
const arbPolicyRules = fc.array(arbRule, { minLength: 0, maxLength: 5 });

describe('content rules: properties', () => {
  it('the evaluation is the strictest of its policies, each the strictest of its matching rules (an error pending)', () => {
    fc.assert(
      fc.property(fc.array(arbPolicyRules, { minLength: 1, maxLength: 4 }), (sets) => {
        const policies = sets.map((rs, i) =>
          ruled(
            `p${i}`,
            rs.map((r, k) => rule(`r${k}`, r.when, r.outcome)),
          ),
        );
        const ev = evaluateAction(
          actionInput({
            requester: rick,
            environment: prod,
            resource: { environmentId: 'env_prod' },
            policies,
            bindings: policies.map((p) => orgBinding(p.id)),
            directory,
          }),
        );
        const perPolicy = sets.map((rs) => {
          const matched = rs.filter((r) => r.when !== 'false').map((r) => (r.when === 'true' ? r.outcome : 'pending'));
          return matched.length === 0 ? 'pending' : strictest(matched);
        });
        assert.equal(ev.outcome, strictest(perPolicy));
        // An error anywhere never lets the request through untouched.
        if (sets.some((rs) => rs.some((r) => r.when === '1 / 0 == 1'))) assert.ok(ev.outcome === 'pending' || ev.outcome === 'deny');
        assert.equal(ev.gates.length, perPolicy.filter((o) => o === 'pending').length * (ev.outcome === 'pending' ? 1 : 0));
      }),
      { numRuns: 300 },
    );
  });

  it('raising a gate is monotone and idempotent', () => {
    const arbQuorum = fc.record({
      minApprovals: fc.integer({ min: 0, max: 5 }),
      minDistinctTeams: fc.integer({ min: 0, max: 3 }),
      requiredUserIds: fc.subarray(['lena', 'sam', 'rick']),
      requiredTeamIds: fc.subarray(['security', 'sre']),
      requiredOrgRoles: fc.subarray(['tech-lead']),
    });
    fc.assert(
      fc.property(fc.array(arbQuorum, { maxLength: 4 }), (raises) => {
        const g = gateFromPolicy(policy('p'));
        const once = raiseGate(g, raises);
        assert.equal(raiseGate(once, raises), once);
        assert.ok(once.quorum.minApprovals >= g.quorum.minApprovals);
        for (const r of raises) {
          assert.ok(once.quorum.minApprovals >= r.minApprovals && once.quorum.minDistinctTeams >= r.minDistinctTeams);
          for (const t of r.requiredTeamIds) assert.ok(once.quorum.requiredTeamIds.includes(t) && once.approvers.teamIds.includes(t));
        }
      }),
    );
  });
});
