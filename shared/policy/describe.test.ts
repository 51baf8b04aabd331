import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Conditions, Policy, Weekday } from '../schemas/index.ts';
import { ACTIONS } from '../schemas/index.ts';
import { conditionsHold } from './conditions.ts';
import { actionsWords, bindingsWords, contentRuleWords, describePolicy, escalationWords, quorumWords, whenWords } from './describe.ts';
import { policy } from './testing.ts';

const NAMES = {
  user: (id: string) => ({ u_ines: 'Ines Duarte', u_adam: 'Adam Kowalski' })[id],
  team: (id: string) => ({ t_sre: 'SRE', t_sec: 'Security' })[id],
  target: (_scope: string, id: string) => ({ p_checkout: 'checkout', c_eu: 'prod-eu-1', e_prod: 'checkout / production' })[id],
};

const Q = (over: Partial<Policy['quorum']> = {}): Policy['quorum'] => ({
  minApprovals: 1,
  minDistinctTeams: 0,
  requiredUserIds: [],
  requiredTeamIds: [],
  requiredOrgRoles: [],
  ...over,
});

describe('describePolicy: the issue example', () => {
  it('reads an off-hours production deploy policy in one sentence', () => {
    const p = policy('p', {
      actions: ['release.deploy'],
      approvers: { userIds: [], teamIds: ['t_sre'], orgRoles: [] },
      quorum: Q({ minApprovals: 2, requiredTeamIds: ['t_sre'] }),
      conditions: { environments: ['production'], weekdays: ['saturday', 'sunday'], startHour: 18, endHour: 9, timezone: 'Europe/Istanbul' },
    });
    const words = describePolicy(p, NAMES, [{ scope: 'project', targetId: 'p_checkout' }]);
    assert.equal(
      words.sentence,
      "production deploys, 18:00–09:00 (overnight, past midnight) or on weekends, Istanbul time: 2 approvals including SRE; approvers: team SRE; the requester can't approve; bound to project checkout",
    );
    assert.equal(words.bindings, 'bound to project checkout');
  });

  it('leaves out where it is bound when no bindings are given (a draft)', () => {
    const words = describePolicy(policy('p'), NAMES);
    assert.equal(words.bindings, undefined);
    assert.equal(words.sentence, "deploys, at any time: 1 approval; no approvers named; the requester can't approve");
  });

  it('names every rule that is switched on', () => {
    const p = policy('p', { requesterCanApprove: true, adminBypass: true, conditions: { requireReason: true } });
    assert.deepEqual(describePolicy(p).rules, ['the requester may approve their own request', 'owners and admins skip it', 'a reason is required']);
  });
});

describe('actionsWords', () => {
  it('groups deploys and whole groups, and names single actions by their label', () => {
    assert.equal(actionsWords(['release.deploy']), 'deploys');
    assert.equal(actionsWords(['release.deploy', 'promotion.execute', 'rollback.execute']), 'deploys, promotions and rollbacks');
    assert.equal(
      actionsWords(['cluster.sync', 'cluster.rollback', 'cluster.restart', 'cluster.scale', 'manifest.apply', 'command.execute', 'resource.delete']),
      'every cluster action',
    );
    assert.equal(actionsWords(['cluster.sync', 'token.issue']), 'cluster sync and issue token');
    assert.equal(actionsWords(['token.issue', 'breakglass.initiate']), 'token issue and break-glass');
    assert.equal(actionsWords([...ACTIONS]), 'every action');
    assert.equal(actionsWords(['project.delete', 'environment.freeze', 'environment.unfreeze', 'environment.policyUpdate']), 'every project action');
  });
});

describe('whenWords: representative conditions', () => {
  const cases: [Conditions, string][] = [
    [{}, 'at any time'],
    [{ environments: ['production'] }, 'at any time'],
    [{ weekdays: [] }, 'at any time'],
    [{ timezone: 'Europe/Istanbul' }, 'at any time'],
    [{ weekdays: ['saturday', 'sunday'] }, 'on weekends, UTC'],
    [{ weekdays: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], timezone: 'America/Los_Angeles' }, 'on weekdays, Los Angeles time'],
    [{ weekdays: ['friday', 'monday'], timezone: 'UTC' }, 'on Mon, Fri, UTC'],
    [{ weekdays: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] }, 'at any time'],
    [{ startHour: 9, endHour: 17 }, '09:00–17:00, UTC'],
    [{ startHour: 18, endHour: 9, timezone: 'Europe/Istanbul' }, '18:00–09:00 (overnight, past midnight), Istanbul time'],
    [{ startHour: 20, endHour: 0 }, '20:00–00:00, UTC'],
    [{ startHour: 9, endHour: 9 }, 'at any time'],
    [{ startHour: 0, endHour: 24 }, 'at any time'],
    [{ startHour: 24, endHour: 0 }, 'never (the hour window 24–0 holds no hour)'],
    [{ startHour: 24, endHour: 0, weekdays: ['saturday'] }, 'on Sat, UTC'],
    [{ startHour: 9, endHour: 9, weekdays: ['saturday'] }, 'at any time'],
    [
      { startHour: 18, endHour: 9, weekdays: ['saturday', 'sunday'], timezone: 'Asia/Kolkata' },
      '18:00–09:00 (overnight, past midnight) or on weekends, Kolkata time',
    ],
    [{ startHour: 9, endHour: 17, weekdays: ['saturday', 'sunday'], requireReason: true }, '09:00–17:00 or on weekends, UTC'],
  ];
  for (const [c, words] of cases) {
    it(`${JSON.stringify(c)} → ${words}`, () => assert.equal(whenWords(c), words));
  }
});

// Every combination of the condition fields, with the words checked against the engine: what the
// summary says about when the policy applies must be what conditionsHold does over a whole week.
describe('whenWords: every condition combination agrees with conditionsHold', () => {
  const ENVS: (string[] | undefined)[] = [undefined, [], ['production'], ['production', 'staging']];
  const DAYS: (Weekday[] | undefined)[] = [
    undefined,
    [],
    ['saturday', 'sunday'],
    ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
    ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'],
    ['wednesday'],
  ];
  const HOURS: ([number, number] | undefined)[] = [undefined, [9, 17], [18, 9], [22, 6], [9, 9], [0, 24], [24, 0], [20, 0], [0, 1]];
  const ZONES = [undefined, 'UTC', 'Europe/Istanbul', 'America/Los_Angeles'];
  const REASON = [undefined, false, true];
  // A week of instants, one per hour, starting on a Sunday at 00:00 UTC.
  const WEEK = Array.from({ length: 7 * 24 + 24 }, (_, h) => new Date(Date.UTC(2024, 5, 2, h)));
  let combos = 0;
  it('covers every combination', () => {
    for (const environments of ENVS)
      for (const weekdays of DAYS)
        for (const hours of HOURS)
          for (const timezone of ZONES)
            for (const requireReason of REASON) {
              combos++;
              const c: Conditions = {
                ...(environments ? { environments } : {}),
                ...(weekdays ? { weekdays } : {}),
                ...(hours ? { startHour: hours[0], endHour: hours[1] } : {}),
                ...(timezone ? { timezone } : {}),
                ...(requireReason !== undefined ? { requireReason } : {}),
              };
              const when = whenWords(c);
              const held = WEEK.map((t) => conditionsHold({ ...c, environments: undefined }, undefined, t));
              const label = JSON.stringify(c);
              assert.equal(when === 'at any time', held.every(Boolean), `${label}: "${when}"`);
              assert.equal(
                when.startsWith('never'),
                held.every((h) => !h),
                `${label}: "${when}"`,
              );
              if (when !== 'at any time' && !when.startsWith('never')) {
                assert.ok(
                  when.endsWith(timezone && timezone !== 'UTC' ? `, ${timezone.split('/')[1]!.replace('_', ' ')} time` : ', UTC'),
                  `${label}: "${when}"`,
                );
              }
              assert.equal(
                when.includes('past midnight'),
                hours !== undefined && hours[0] > hours[1] && hours[1] > 0 && hours[0] < 24 && !held.every(Boolean),
                label,
              );
              assert.equal(when.includes(' or '), when.includes('on ') && /\d\d:\d\d/.test(when), label);
              const words = describePolicy(policy('p', { conditions: c }));
              const envWords = environments && environments.length > 0 ? `${environments.join(' or ')} deploys` : 'deploys';
              assert.ok(words.sentence.startsWith(`${envWords}, ${when}: `), words.sentence);
              assert.equal(words.rules.includes('a reason is required'), requireReason === true, label);
            }
    assert.equal(combos, ENVS.length * DAYS.length * HOURS.length * ZONES.length * REASON.length);
  });
});

describe('quorumWords: representative quorums', () => {
  const cases: [Partial<Policy['quorum']>, string][] = [
    [{ minApprovals: 0 }, 'no approval needed'],
    [{ minApprovals: 1 }, '1 approval'],
    [{ minApprovals: 2 }, '2 approvals'],
    [{ minApprovals: 2, requiredTeamIds: ['t_sec'] }, '2 approvals including Security'],
    [{ minApprovals: 1, minDistinctTeams: 2 }, '1 approval from 2 distinct teams'],
    [{ minApprovals: 0, minDistinctTeams: 2 }, 'approvals from 2 distinct teams'],
    [{ minApprovals: 0, requiredUserIds: ['u_ines'] }, 'approval from Ines Duarte'],
    [{ minApprovals: 0, requiredOrgRoles: ['admin', 'release-manager'] }, 'approval from an admin and a release-manager'],
    [
      { minApprovals: 3, minDistinctTeams: 2, requiredUserIds: ['u_ines'], requiredTeamIds: ['t_sre', 't_sec'], requiredOrgRoles: ['release-manager'] },
      '3 approvals from 2 distinct teams including Ines Duarte, SRE, Security and a release-manager',
    ],
    [{ minApprovals: 1, requiredUserIds: ['u_unknown'] }, '1 approval including u_unknown'],
  ];
  for (const [q, words] of cases) {
    it(`${JSON.stringify(q)} → ${words}`, () => assert.equal(quorumWords(Q(q), NAMES), words));
  }
});

describe('quorumWords: every quorum combination', () => {
  it('names every count and every required approver, and says when nothing is needed', () => {
    let combos = 0;
    for (const minApprovals of [0, 1, 2, 5])
      for (const minDistinctTeams of [0, 1, 3])
        for (const requiredUserIds of [[], ['u_ines'], ['u_ines', 'u_adam']])
          for (const requiredTeamIds of [[], ['t_sre'], ['t_sre', 't_sec']])
            for (const requiredOrgRoles of [[], ['release-manager'], ['owner', 'sre-lead']]) {
              combos++;
              const q = Q({ minApprovals, minDistinctTeams, requiredUserIds, requiredTeamIds, requiredOrgRoles });
              const words = quorumWords(q, NAMES);
              const none = minApprovals === 0 && minDistinctTeams === 0 && requiredUserIds.length + requiredTeamIds.length + requiredOrgRoles.length === 0;
              assert.equal(words === 'no approval needed', none, words);
              if (minApprovals > 0) assert.ok(words.startsWith(`${minApprovals} approval${minApprovals === 1 ? '' : 's'}`), words);
              assert.equal(words.includes(`from ${minDistinctTeams} distinct team`), minDistinctTeams > 0, words);
              for (const id of requiredUserIds) assert.ok(words.includes(NAMES.user(id)!), words);
              for (const id of requiredTeamIds) assert.ok(words.includes(NAMES.team(id)!), words);
              for (const role of requiredOrgRoles) assert.ok(words.includes(`${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}`), words);
              const required = requiredUserIds.length + requiredTeamIds.length + requiredOrgRoles.length > 0;
              assert.equal(words.includes('including'), required && (minApprovals > 0 || minDistinctTeams > 0), words);
            }
    assert.equal(combos, 4 * 3 * 3 * 3 * 3);
  });
});

describe('approvers and bindings', () => {
  it('lists approvers by kind, or says none are named', () => {
    const p = policy('p', { approvers: { userIds: ['u_adam'], teamIds: ['t_sre', 't_sec'], orgRoles: ['release-manager'] } });
    assert.equal(describePolicy(p, NAMES).approvers, 'approvers: Adam Kowalski, team SRE, team Security or a release-manager');
    assert.equal(describePolicy(policy('p'), NAMES).approvers, 'no approvers named');
  });

  it('names every binding place, and says when a policy applies nowhere', () => {
    assert.equal(bindingsWords([{ scope: 'organization' }]), 'bound to the organization');
    assert.equal(
      bindingsWords(
        [
          { scope: 'project', targetId: 'p_checkout' },
          { scope: 'cluster', targetId: 'c_eu' },
          { scope: 'environment', targetId: 'e_prod' },
        ],
        NAMES,
      ),
      'bound to project checkout, cluster prod-eu-1 and environment checkout / production',
    );
    assert.equal(bindingsWords([{ scope: 'project', targetId: 'p_gone' }], NAMES), 'bound to project p_gone');
    assert.equal(bindingsWords([]), 'not bound anywhere, so it applies nowhere');
  });
});

describe('content rules and escalation in words', () => {
  const names = { team: (id: string) => ({ security: 'Security', sre: 'SRE' })[id], user: (id: string) => ({ lena: 'Lena Fischer' })[id] };
  it('quotes each rule with its outcome, the raise in words', () => {
    assert.equal(
      contentRuleWords({ name: 'cost cap', when: 'cost.monthlyCostDiff > 500', outcome: 'deny' }),
      'denies when cost.monthlyCostDiff > 500 ("cost cap")',
    );
    assert.equal(
      contentRuleWords(
        {
          name: 'destroys',
          when: 'risk.terraformDestroys > 0',
          outcome: 'pending',
          quorum: { minApprovals: 2, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: ['security'], requiredOrgRoles: [] },
        },
        names,
      ),
      `holds for approval, needing ${quorumWords({ minApprovals: 2, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: ['security'], requiredOrgRoles: [] }, names)}, when risk.terraformDestroys > 0 ("destroys")`,
    );
    assert.equal(contentRuleWords({ name: 'w', when: 'true', outcome: 'warn' }), 'warns when true ("w")');
    assert.equal(contentRuleWords({ name: 'a', when: 'true', outcome: 'allow' }), 'lets through when true ("a")');
  });
  it('says after how long and who may approve too', () => {
    assert.equal(
      escalationWords({ afterMinutes: 30, approvers: { userIds: ['lena'], teamIds: ['sre'], orgRoles: ['admin'] } }, names),
      'after 30 min short of its quorum, Lena Fischer, team SRE or an admin may approve too',
    );
    assert.equal(
      escalationWords({ afterMinutes: 120, approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] } }, names),
      'after 2 hours short of its quorum, team SRE may approve too',
    );
    assert.equal(
      escalationWords({ afterMinutes: 2880, approvers: { userIds: [], teamIds: [], orgRoles: [] } }),
      'after 2 days short of its quorum, nobody more may approve too',
    );
  });
  it('joins the sentence only when present', () => {
    const base = describePolicy(policy('p'));
    assert.deepEqual(base.contentRules, []);
    assert.equal(base.escalation, undefined);
    const full = describePolicy(
      policy('p', {
        rules: [{ name: 'r', when: 'true', outcome: 'warn' }],
        escalation: { afterMinutes: 60, approvers: { userIds: [], teamIds: [], orgRoles: ['admin'] } },
      }),
    );
    assert.match(full.sentence, /warns when true \("r"\); after 1 hour short of its quorum, an admin may approve too$/);
  });
});
