// A policy in plain words, for the console's Policies screen: what it covers, when it applies,
// what it needs and from whom, and where it is bound. The words follow the engine's reading of
// each field (conditions.ts, progress.ts, docs/policies.md), so the summary never promises a
// looser or stricter policy than the one the server enforces.
import { ACTION_GROUPS, ACTION_LABELS, actionsOf } from '../inbox.ts';
import { ACTIONS } from '../schemas/index.ts';
import type { Action, BindingScope, Conditions, Escalation, Policy, PolicyRule } from '../schemas/index.ts';
import { daysWords, hoursWords, windowHours, zoneWords } from './window-words.ts';

/** Display names for the ids a policy names; an id is shown where the name is unknown. */
export interface PolicyNames {
  user?(id: string): string | undefined;
  team?(id: string): string | undefined;
  /** The name of a binding's target: a project, cluster or environment. */
  target?(scope: BindingScope, id: string): string | undefined;
}

/** Where a policy is bound (a saved binding or a draft one). */
export interface BindingLike {
  scope: BindingScope;
  targetId?: string | undefined;
}

export interface PolicyWords {
  /** "production deploys" */
  what: string;
  /** "18:00–09:00 (overnight, past midnight) or on weekends, Istanbul time" */
  when: string;
  /** "2 approvals including Security" */
  quorum: string;
  /** "approvers: team Security, team SRE" */
  approvers: string;
  /** "the requester can't approve", and the bypass and reason rules when set. */
  rules: string[];
  /** One sentence per content rule: `denies when cost.monthlyCostDiff > 500 ("cost cap")`. */
  contentRules: string[];
  /** "after 30 min short of its quorum, team SRE leads may approve too"; undefined without escalation. */
  escalation: string | undefined;
  /** "bound to project checkout"; undefined when no bindings were given. */
  bindings: string | undefined;
  /** Everything above as one sentence. */
  sentence: string;
}

/** "a, b and c" */
export function listWords(items: readonly string[], last = 'and'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${last} ${items.at(-1)}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function withArticle(role: string): string {
  return `${/^[aeiou]/i.test(role) ? 'an' : 'a'} ${role}`;
}

/** The deploy family reads as nouns of events ("deploys"); the rest by their console label. */
const ACTION_NOUNS: Partial<Record<Action, string>> = {
  'release.deploy': 'deploys',
  'promotion.execute': 'promotions',
  'rollback.execute': 'rollbacks',
};

const GROUP_WORDS: Record<string, string> = {
  cluster: 'every cluster action',
  project: 'every project action',
  security: 'token issue and break-glass',
};

/**
 * "deploys", "deploys and promotions", "every cluster action and issue token", "every action".
 * A whole group of several actions is named as the group; single actions by their label.
 */
export function actionsWords(actions: readonly Action[]): string {
  const set = new Set(actions);
  if (ACTIONS.every((a) => set.has(a))) return 'every action';
  const words: string[] = [];
  for (const group of ACTION_GROUPS) {
    const members = actionsOf(group);
    const chosen = members.filter((a) => set.has(a));
    if (chosen.length === 0) continue;
    if (chosen.length === members.length && members.length > 1 && GROUP_WORDS[group]) {
      words.push(GROUP_WORDS[group]);
      continue;
    }
    for (const a of chosen) words.push(ACTION_NOUNS[a] ?? ACTION_LABELS[a].toLowerCase());
  }
  return listWords(words);
}

/** "production deploys", "production or staging rollbacks", "deploys" (no environments condition). */
export function whatWords(actions: readonly Action[], conditions: Conditions): string {
  const envs = conditions.environments ?? [];
  const acts = actionsWords(actions);
  return envs.length > 0 ? `${listWords(envs, 'or')} ${acts}` : acts;
}

/**
 * When the policy applies, read as conditionsHold reads it: weekdays only, hours only, or both
 * (either one is enough); neither, or a window that covers the whole day alongside nothing
 * narrower, is "at any time". The zone is named whenever a time part applies.
 */
export function whenWords(c: Conditions): string {
  const days = c.weekdays && c.weekdays.length > 0 ? daysWords(c.weekdays) : undefined;
  const hasHours = c.startHour !== undefined && c.endHour !== undefined;
  const hours = hasHours ? windowHours(c.startHour!, c.endHour!) : undefined;
  // An all-day window, or all seven days, holds at every instant: the OR makes the other part moot.
  if ((!days && !hasHours) || hours === 24 || days === 'every day') return 'at any time';
  const zone = zoneWords(c.timezone);
  const dayPart = days ? `on ${days}` : undefined;
  const hourPart = hasHours && hours! > 0 ? hoursWords(c.startHour!, c.endHour!) : undefined;
  if (!dayPart && !hourPart) return `never (the hour window ${c.startHour}–${c.endHour} holds no hour)`;
  return `${[hourPart, dayPart].filter(Boolean).join(' or ')}, ${zone}`;
}

interface Names {
  user(id: string): string;
  team(id: string): string;
}

function resolve(names: PolicyNames): Names {
  return { user: (id) => names.user?.(id) ?? id, team: (id) => names.team?.(id) ?? id };
}

/**
 * What the quorum needs, every field AND'ed as progress.ts checks them: "2 approvals including
 * Security", "1 approval from 2 distinct teams", "approval from Ines Duarte", "no approval needed".
 */
export function quorumWords(q: Policy['quorum'], names: PolicyNames = {}): string {
  const n = resolve(names);
  const required = [...q.requiredUserIds.map(n.user), ...q.requiredTeamIds.map(n.team), ...q.requiredOrgRoles.map(withArticle)];
  const count = q.minApprovals > 0 ? plural(q.minApprovals, 'approval') : undefined;
  const teams = q.minDistinctTeams > 0 ? `from ${plural(q.minDistinctTeams, 'distinct team')}` : undefined;
  if (!count && !teams && required.length === 0) return 'no approval needed';
  const parts: string[] = [count ?? (teams ? 'approvals' : 'approval')];
  if (teams) parts.push(teams);
  if (required.length > 0) parts.push(count || teams ? `including ${listWords(required)}` : `from ${listWords(required)}`);
  return parts.join(' ');
}

/** "approvers: Adam Kowalski, team SRE or a release-manager"; "no approvers named". */
export function approversWords(a: Policy['approvers'], names: PolicyNames = {}): string {
  const n = resolve(names);
  const who = [...a.userIds.map(n.user), ...a.teamIds.map((id) => `team ${n.team(id)}`), ...a.orgRoles.map(withArticle)];
  return who.length > 0 ? `approvers: ${listWords(who, 'or')}` : 'no approvers named';
}

export function rulesWords(p: Pick<Policy, 'requesterCanApprove' | 'adminBypass' | 'conditions'>): string[] {
  const rules = [p.requesterCanApprove ? 'the requester may approve their own request' : "the requester can't approve"];
  if (p.adminBypass) rules.push('owners and admins skip it');
  if (p.conditions.requireReason) rules.push('a reason is required');
  return rules;
}

const SCOPE_WORDS: Record<BindingScope, string> = { organization: 'organization', project: 'project', cluster: 'cluster', environment: 'environment' };

/** "bound to the organization", "bound to project checkout and cluster prod-eu-1", "not bound anywhere, so it applies nowhere". */
export function bindingsWords(bindings: readonly BindingLike[], names: PolicyNames = {}): string {
  if (bindings.length === 0) return 'not bound anywhere, so it applies nowhere';
  const places = bindings.map((b) =>
    b.scope === 'organization' || b.targetId === undefined
      ? 'the organization'
      : `${SCOPE_WORDS[b.scope]} ${names.target?.(b.scope, b.targetId) ?? b.targetId}`,
  );
  return `bound to ${listWords(places)}`;
}

/**
 * The whole policy: "production deploys, 18:00–09:00 (overnight, past midnight) or on weekends,
 * Istanbul time: 2 approvals including SRE; approvers: team SRE; the requester can't approve".
 * Without `bindings` the sentence leaves out where it is bound (a draft not yet placed).
 */
export function describePolicy(
  p: Pick<Policy, 'actions' | 'approvers' | 'quorum' | 'conditions' | 'requesterCanApprove' | 'adminBypass' | 'rules' | 'escalation'>,
  names: PolicyNames = {},
  bindings?: readonly BindingLike[],
): PolicyWords {
  const what = whatWords(p.actions, p.conditions);
  const when = whenWords(p.conditions);
  const quorum = quorumWords(p.quorum, names);
  const approvers = approversWords(p.approvers, names);
  const rules = rulesWords(p);
  const contentRules = (p.rules ?? []).map((r) => contentRuleWords(r, names));
  const escalation = p.escalation ? escalationWords(p.escalation, names) : undefined;
  const bound = bindings ? bindingsWords(bindings, names) : undefined;
  const parts = [quorum, approvers, ...rules, ...contentRules, ...(escalation ? [escalation] : []), ...(bound ? [bound] : [])];
  const sentence = `${what}, ${when}: ${parts.join('; ')}`;
  return { what, when, quorum, approvers, rules, contentRules, escalation, bindings: bound, sentence };
}

const OUTCOME_VERBS: Record<PolicyRule['outcome'], string> = {
  deny: 'denies',
  pending: 'holds for approval',
  warn: 'warns',
  allow: 'lets through',
};

/**
 * `denies when cost.monthlyCostDiff > 500 ("cost cap")`, `holds for approval, needing 2 approvals
 * including team Security, when risk.terraformDestroys > 0 ("destroys")`. The expression is quoted
 * as written: rewording CEL would be a second, looser reading of it.
 */
export function contentRuleWords(rule: PolicyRule, names: PolicyNames = {}): string {
  const needs = rule.outcome === 'pending' && rule.quorum ? `, needing ${quorumWords(rule.quorum, names)},` : '';
  return `${OUTCOME_VERBS[rule.outcome]}${needs} when ${rule.when} ("${rule.name}")`;
}

/** "after 30 min short of its quorum, team SRE leads or Lena Fischer may approve too" */
export function escalationWords(e: Escalation, names: PolicyNames = {}): string {
  const n = resolve(names);
  const who = [...e.approvers.userIds.map(n.user), ...e.approvers.teamIds.map((id) => `team ${n.team(id)}`), ...e.approvers.orgRoles.map(withArticle)];
  const m = e.afterMinutes;
  const after = m % 1440 === 0 ? plural(m / 1440, 'day') : m % 60 === 0 ? plural(m / 60, 'hour') : `${m} min`;
  return `after ${after} short of its quorum, ${who.length > 0 ? listWords(who, 'or') : 'nobody more'} may approve too`;
}
