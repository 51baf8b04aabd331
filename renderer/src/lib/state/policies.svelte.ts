// The Policies screen's state: which policy is selected, and the editor's unsaved form. Kept here
// rather than in the screen so that leaving the screen (a `g` shortcut, a notification) does not
// throw away what was typed: coming back shows the editor as it was left.
import type { FieldIssue } from '../../../../shared/ipc.ts';
import { compileWhen, ruleIssues } from '../../../../shared/policy/rule-compile.ts';
import { ORG_ROLES } from '../../../../shared/schemas/index.ts';
import type { Action, Binding, Policy, PolicyRule, Quorum, RuleOutcome, Weekday } from '../../../../shared/schemas/index.ts';
import { CreatePolicyBody, type DraftBinding, type PolicyDraft } from '../../../../shared/schemas/api.ts';
import { call } from '../api.ts';
import { directory } from './directory.svelte.ts';

/** A quorum's controls (the policy's own, and a pending rule's raise). */
export interface QuorumForm {
  minApprovals: number;
  minDistinctTeams: number;
  requiredUserIds: string[];
  requiredTeamIds: string[];
  requiredRoles: string[];
}

/** One content rule's controls; `raise` switches the pending rule's quorum on. */
export interface RuleForm {
  name: string;
  when: string;
  outcome: RuleOutcome;
  message: string;
  raise: boolean;
  quorum: QuorumForm;
}

/** The escalation's controls; `on` false: the policy has none. */
export interface EscalationForm {
  on: boolean;
  afterMinutes: number;
  userIds: string[];
  teamIds: string[];
  orgRoles: string[];
}

/** The editor's fields, one per control (the hour window has an on/off switch of its own). */
export interface PolicyForm {
  id: string | undefined;
  name: string;
  description: string;
  actions: Action[];
  approverUserIds: string[];
  approverTeamIds: string[];
  approverRoles: string[];
  minApprovals: number;
  minDistinctTeams: number;
  requiredUserIds: string[];
  requiredTeamIds: string[];
  requiredRoles: string[];
  environments: string[];
  weekdays: Weekday[];
  hours: boolean;
  startHour: number;
  endHour: number;
  /** '' is the default, UTC. */
  timezone: string;
  requireReason: boolean;
  requesterCanApprove: boolean;
  adminBypass: boolean;
  rules: RuleForm[];
  escalation: EscalationForm;
  /** Where a new policy will be bound once saved (a saved one's bindings change in place). */
  bindings: DraftBinding[];
}

export function blankForm(): PolicyForm {
  return {
    id: undefined,
    name: '',
    description: '',
    actions: [],
    approverUserIds: [],
    approverTeamIds: [],
    approverRoles: [],
    minApprovals: 1,
    minDistinctTeams: 0,
    requiredUserIds: [],
    requiredTeamIds: [],
    requiredRoles: [],
    environments: [],
    weekdays: [],
    hours: false,
    startHour: 18,
    endHour: 9,
    timezone: '',
    requireReason: false,
    requesterCanApprove: false,
    adminBypass: false,
    rules: [],
    escalation: blankEscalation(),
    bindings: [],
  };
}

function blankEscalation(): EscalationForm {
  return { on: false, afterMinutes: 30, userIds: [], teamIds: [], orgRoles: [] };
}

function quorumFormOf(q: Quorum): QuorumForm {
  return {
    minApprovals: q.minApprovals,
    minDistinctTeams: q.minDistinctTeams,
    requiredUserIds: [...q.requiredUserIds],
    requiredTeamIds: [...q.requiredTeamIds],
    requiredRoles: [...q.requiredOrgRoles],
  };
}

function quorumOf(q: QuorumForm): Quorum {
  return {
    minApprovals: q.minApprovals,
    minDistinctTeams: q.minDistinctTeams,
    requiredUserIds: [...q.requiredUserIds],
    requiredTeamIds: [...q.requiredTeamIds],
    requiredOrgRoles: [...q.requiredRoles],
  };
}

/** A new rule: pending, raising the quorum to two approvals (what a risk rule most often asks). */
export function blankRule(n: number): RuleForm {
  return {
    name: `rule ${n}`,
    when: '',
    outcome: 'pending',
    message: '',
    raise: true,
    quorum: { minApprovals: 2, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: [], requiredRoles: [] },
  };
}

function ruleFormOf(r: PolicyRule): RuleForm {
  return {
    name: r.name,
    when: r.when,
    outcome: r.outcome,
    message: r.message ?? '',
    raise: r.quorum !== undefined,
    quorum: r.quorum ? quorumFormOf(r.quorum) : blankRule(0).quorum,
  };
}

function ruleOf(r: RuleForm): PolicyRule {
  return {
    name: r.name,
    when: r.when,
    outcome: r.outcome,
    ...(r.message.trim() ? { message: r.message } : {}),
    ...(r.outcome === 'pending' && r.raise ? { quorum: quorumOf(r.quorum) } : {}),
  };
}

export function formOf(p: Policy): PolicyForm {
  const c = p.conditions;
  const hours = c.startHour !== undefined && c.endHour !== undefined;
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    actions: [...p.actions],
    approverUserIds: [...p.approvers.userIds],
    approverTeamIds: [...p.approvers.teamIds],
    approverRoles: [...p.approvers.orgRoles],
    minApprovals: p.quorum.minApprovals,
    minDistinctTeams: p.quorum.minDistinctTeams,
    requiredUserIds: [...p.quorum.requiredUserIds],
    requiredTeamIds: [...p.quorum.requiredTeamIds],
    requiredRoles: [...p.quorum.requiredOrgRoles],
    environments: [...(c.environments ?? [])],
    weekdays: [...(c.weekdays ?? [])],
    hours,
    startHour: hours ? c.startHour! : 18,
    endHour: hours ? c.endHour! : 9,
    timezone: c.timezone ?? '',
    requireReason: c.requireReason ?? false,
    requesterCanApprove: p.requesterCanApprove,
    adminBypass: p.adminBypass,
    rules: (p.rules ?? []).map(ruleFormOf),
    escalation: p.escalation
      ? {
          on: true,
          afterMinutes: p.escalation.afterMinutes,
          userIds: [...p.escalation.approvers.userIds],
          teamIds: [...p.escalation.approvers.teamIds],
          orgRoles: [...p.escalation.approvers.orgRoles],
        }
      : blankEscalation(),
    bindings: [],
  };
}

/** The body the server gets: empty condition lists and switched-off parts are left out. */
export function bodyOf(f: PolicyForm): CreatePolicyBody {
  const conditions: NonNullable<CreatePolicyBody['conditions']> = {
    ...(f.environments.length ? { environments: [...f.environments] } : {}),
    ...(f.weekdays.length ? { weekdays: [...f.weekdays] } : {}),
    ...(f.hours ? { startHour: f.startHour, endHour: f.endHour } : {}),
    ...(f.timezone.trim() ? { timezone: f.timezone.trim() } : {}),
    ...(f.requireReason ? { requireReason: true } : {}),
  };
  return {
    name: f.name,
    description: f.description,
    actions: [...f.actions],
    approvers: { userIds: [...f.approverUserIds], teamIds: [...f.approverTeamIds], orgRoles: [...f.approverRoles] },
    quorum: quorumOf(f),
    conditions,
    requesterCanApprove: f.requesterCanApprove,
    adminBypass: f.adminBypass,
    ...(f.rules.length ? { rules: f.rules.map(ruleOf) } : {}),
    ...(f.escalation.on
      ? {
          escalation: {
            afterMinutes: f.escalation.afterMinutes,
            approvers: { userIds: [...f.escalation.userIds], teamIds: [...f.escalation.teamIds], orgRoles: [...f.escalation.orgRoles] },
          },
        }
      : {}),
  };
}

/** The draft Try it and Replay judge: the body, the policy it replaces, where it is (or will be) bound. */
export function draftOf(f: PolicyForm, saved: readonly Binding[]): PolicyDraft {
  const bindings = f.id ? saved.filter((b) => b.policyId === f.id).map(({ scope, targetId }) => (targetId ? { scope, targetId } : { scope })) : f.bindings;
  return { ...bodyOf(f), ...(f.id ? { id: f.id } : {}), bindings };
}

/** A saved policy as a draft (the detail view judges it as saved). */
export function savedDraft(p: Policy, saved: readonly Binding[]): PolicyDraft {
  return draftOf(formOf(p), saved);
}

/** Sentences for the refusals a person makes most, in place of the schema's terse ones. */
const PLAIN: Record<string, string> = {
  name: 'Give the policy a name.',
  actions: 'Pick at least one action.',
  'conditions.timezone': 'Not a time zone this console knows: pick one from the list (e.g. Europe/Istanbul), or leave it empty for UTC.',
};

/** The shared schema's refusals, by dotted path, and the rules that do not compile, before anything is sent. */
export function checkForm(f: PolicyForm): FieldIssue[] {
  const body = bodyOf(f);
  const parsed = CreatePolicyBody.safeParse(body);
  const schema = parsed.success
    ? []
    : parsed.error.issues.map((i) => {
        const path = i.path.map(String).join('.');
        return { path, message: PLAIN[path] ?? i.message };
      });
  // An empty `when` is the schema's to refuse; compiling it too would say the same thing twice.
  const rules = ruleIssues(body.rules ?? [])
    .filter((i) => f.rules[i.index]?.when.trim())
    .map((i) => {
      const compiled = compileWhen(f.rules[i.index]!.when);
      return { path: `rules.${i.index}.${!compiled.ok && compiled.message === i.message ? 'when' : 'name'}`, message: i.message };
    });
  return [...schema, ...rules];
}

/** Org roles and every custom role someone holds: the roles a policy can name. */
export function knownRoles(): string[] {
  const custom = new Set<string>();
  for (const u of directory.data.users) for (const r of u.roles) custom.add(r);
  return [...ORG_ROLES, ...[...custom].filter((r) => !(ORG_ROLES as readonly string[]).includes(r)).sort()];
}

/** Environment names as conditions name them (one entry per name, across projects). */
export function environmentNames(): string[] {
  return [...new Set(directory.data.environments.map((e) => e.name))].sort();
}

class PoliciesUi {
  /** The selected policy's id; undefined: the first one. */
  selected = $state<string | undefined>(undefined);
  /** The open editor's form, and the form as it was opened (to tell unsaved changes). */
  form = $state<PolicyForm | undefined>(undefined);
  #initial = $state('');

  get dirty(): boolean {
    return this.form !== undefined && JSON.stringify(this.form) !== this.#initial;
  }

  open(form: PolicyForm): void {
    this.form = form;
    this.#initial = JSON.stringify(form);
  }

  close(): void {
    this.form = undefined;
    this.#initial = '';
  }
}

export const policiesUi = new PoliciesUi();

export async function savePolicy(f: PolicyForm) {
  return call('policies.save', { ...bodyOf(f), ...(f.id ? { id: f.id } : {}) });
}
