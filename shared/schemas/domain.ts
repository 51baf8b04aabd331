// The domain model (docs/architecture.md, glossary): the single source of every entity's shape. The server parses
// request bodies with these, the desktop parses responses with them; types are inferred, never
// written twice.
import { WEEKDAYS } from './weekdays.ts';
import { z } from 'zod';

export const Id = z.string().min(1).max(200);
export const IsoTime = z.iso.datetime({ offset: true });
const Name = z.string().trim().min(1).max(200);

export const ORG_ROLES = ['owner', 'admin', 'member'] as const;
export const OrgRole = z.enum(ORG_ROLES);
export type OrgRole = z.infer<typeof OrgRole>;

/** A role name as written in policies: an org role or a custom one (`release-manager`, …). */
export const RoleName = z.string().trim().min(1).max(100);

/** A custom role given to a user: never an org role's name, so nobody is made an owner by a label. */
export const CustomRoleName = RoleName.refine((r) => !(ORG_ROLES as readonly string[]).includes(r.toLowerCase()), {
  message: 'roles may not be named owner, admin or member (those are org roles: use orgRole)',
});

/** GitHub's own rule for logins: letters, digits and single hyphens, at most 39, no hyphen at either end. */
export const GitHubLogin = z
  .string()
  .trim()
  .max(39, 'a GitHub login has at most 39 characters')
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$/, 'must be a GitHub login: letters, digits and single hyphens, not at either end');

export const User = z.object({
  id: Id,
  name: Name,
  email: z.email().max(320),
  orgRole: OrgRole,
  roles: z.array(RoleName).default([]),
  teamIds: z.array(Id).default([]),
  /** false: deactivated, every token refused, past decisions kept. The server always sends it; absent reads as true. */
  active: z.boolean().optional(),
  /** Deployments this GitHub user starts are requested in their name (docs/github.md). */
  githubLogin: GitHubLogin.optional(),
});
export type User = z.infer<typeof User>;

/** A named API token as listed: never its secret, which is shown once when it is made. */
export const ApiToken = z.object({
  id: Id,
  name: z.string(),
  userId: Id,
  createdAt: IsoTime,
  lastUsedAt: IsoTime.optional(),
  expiresAt: IsoTime.optional(),
});
export type ApiToken = z.infer<typeof ApiToken>;

export const Team = z.object({ id: Id, name: Name });
export type Team = z.infer<typeof Team>;
export const Project = z.object({ id: Id, name: Name });
export type Project = z.infer<typeof Project>;
export const Cluster = z.object({ id: Id, name: Name });
export type Cluster = z.infer<typeof Cluster>;

export const PROTECTIONS = ['none', 'restricted', 'locked'] as const;
export const Protection = z.enum(PROTECTIONS);
export type Protection = z.infer<typeof Protection>;

const REVIEWERS_SHAPE = {
  userIds: z.array(Id).default([]),
  teamIds: z.array(Id).default([]),
};
export const Reviewers = z.object(REVIEWERS_SHAPE);
/** As written in a body: unknown keys are refused, never dropped. */
export const StrictReviewers = z.strictObject(REVIEWERS_SHAPE);
export type Reviewers = z.infer<typeof Reviewers>;

export const Freeze = z.object({
  by: Id,
  at: IsoTime,
  reason: z.string(),
  until: IsoTime.optional(),
  previousProtection: Protection,
});
export type Freeze = z.infer<typeof Freeze>;

export const Environment = z.object({
  id: Id,
  projectId: Id,
  clusterId: Id.optional(),
  name: Name,
  protection: Protection,
  reviewers: Reviewers,
  freeze: Freeze.optional(),
});
export type Environment = z.infer<typeof Environment>;

/** The actions Gatehouse protects: deploys, rollbacks, promotions, cluster commands, token issue, break-glass. */
export const ACTIONS = [
  'release.deploy',
  'promotion.execute',
  'rollback.execute',
  'project.delete',
  'environment.freeze',
  'environment.unfreeze',
  'environment.policyUpdate',
  'cluster.sync',
  'cluster.rollback',
  'cluster.restart',
  'cluster.scale',
  'manifest.apply',
  'command.execute',
  'resource.delete',
  'token.issue',
  'breakglass.initiate',
] as const;
export const Action = z.enum(ACTIONS);
export type Action = z.infer<typeof Action>;

/** Actions a locked environment refuses to everyone but owners and admins (docs/policies.md, "Protection levels"). */
export const DEPLOY_LIKE_ACTIONS: readonly Action[] = ['release.deploy', 'promotion.execute', 'rollback.execute', 'manifest.apply'];

/** Actions on a whole cluster: judged against every environment on it (docs/policies.md, "Cluster actions"). */
export const CLUSTER_ACTIONS: readonly Action[] = [
  'cluster.sync',
  'cluster.rollback',
  'cluster.restart',
  'cluster.scale',
  'command.execute',
  'resource.delete',
  'token.issue',
];

export { WEEKDAYS };
export const Weekday = z.enum(WEEKDAYS);
export type Weekday = z.infer<typeof Weekday>;

const Hour = z.number().int().min(0).max(24);

/** An IANA zone name that this runtime's Intl knows; unknown names are refused, not ignored. */
export const TimeZone = z
  .string()
  .min(1)
  .max(100)
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'unknown IANA time zone' },
  );

const APPROVERS_SHAPE = {
  userIds: z.array(Id).default([]),
  teamIds: z.array(Id).default([]),
  orgRoles: z.array(RoleName).default([]),
};
export const Approvers = z.object(APPROVERS_SHAPE);
export const StrictApprovers = z.strictObject(APPROVERS_SHAPE);
export type Approvers = z.infer<typeof Approvers>;

const QUORUM_SHAPE = {
  minApprovals: z.number().int().min(0).max(1000).default(1),
  minDistinctTeams: z.number().int().min(0).max(1000).default(0),
  requiredUserIds: z.array(Id).default([]),
  requiredTeamIds: z.array(Id).default([]),
  requiredOrgRoles: z.array(RoleName).default([]),
};
export const Quorum = z.object(QUORUM_SHAPE);
export const StrictQuorum = z.strictObject(QUORUM_SHAPE);
export type Quorum = z.infer<typeof Quorum>;

const CONDITIONS_SHAPE = {
  environments: z.array(Name).optional(),
  weekdays: z.array(Weekday).optional(),
  startHour: Hour.optional(),
  endHour: Hour.optional(),
  timezone: TimeZone.optional(),
  requireReason: z.boolean().optional(),
};
const hoursTogether = (c: { startHour?: number | undefined; endHour?: number | undefined }) => (c.startHour === undefined) === (c.endHour === undefined);
const hoursTogetherError = { message: 'startHour and endHour must be given together', path: ['endHour'] };
export const Conditions = z.object(CONDITIONS_SHAPE).refine(hoursTogether, hoursTogetherError);
/** As written in a body: unknown keys are refused, never dropped. */
export const StrictConditions = z.strictObject(CONDITIONS_SHAPE).refine(hoursTogether, hoursTogetherError);
export type Conditions = z.infer<typeof Conditions>;

/** A content rule's outcome: the four of docs/policies.md, strictest first. */
export const RULE_OUTCOMES = ['deny', 'pending', 'warn', 'allow'] as const;
export const RuleOutcome = z.enum(RULE_OUTCOMES);
export type RuleOutcome = z.infer<typeof RuleOutcome>;

/** The most rules one policy may carry, and the longest CEL expression: both keep evaluation cheap. */
export const MAX_RULES = 50;
export const MAX_RULE_CHARS = 4000;

const ruleShape = <Q extends z.ZodType>(quorum: Q) => ({
  name: z.string().trim().min(1).max(100),
  /** A CEL expression over the rule input (docs/policies.md, "Content rules"); true means the rule matches. */
  when: z.string().trim().min(1).max(MAX_RULE_CHARS),
  outcome: RuleOutcome,
  /** Shown with a deny, recorded with a warn; the rule's name stands in when there is none. */
  message: z.string().max(500).optional(),
  /** Only for `pending`: raises the gate's quorum (risk-driven quorum). */
  quorum: quorum.optional(),
});
const quorumOnlyForPending = (r: { outcome: RuleOutcome; quorum?: unknown }) => r.quorum === undefined || r.outcome === 'pending';
const quorumOnlyForPendingError = { message: 'quorum is only allowed on a pending rule', path: ['quorum'] };
export const PolicyRule = z.object(ruleShape(Quorum)).refine(quorumOnlyForPending, quorumOnlyForPendingError);
/** As written in a body: unknown keys are refused, never dropped. */
export const StrictPolicyRule = z.strictObject(ruleShape(StrictQuorum)).refine(quorumOnlyForPending, quorumOnlyForPendingError);
export type PolicyRule = z.infer<typeof PolicyRule>;

/** The longest an escalation may wait: 30 days, longer than any request lives. */
export const MAX_ESCALATION_MINUTES = 43_200;
const escalationShape = <A extends z.ZodType>(approvers: A) => ({
  afterMinutes: z.number().int().min(1).max(MAX_ESCALATION_MINUTES),
  approvers,
});
/** Who else may approve a gate still short of its quorum `afterMinutes` after the request was made. */
export const Escalation = z.object(escalationShape(Approvers));
export const StrictEscalation = z.strictObject(escalationShape(StrictApprovers));
export type Escalation = z.infer<typeof Escalation>;

export const Policy = z.object({
  id: Id,
  name: Name,
  description: z.string().max(2000).default(''),
  actions: z.array(Action).min(1),
  approvers: Approvers,
  quorum: Quorum,
  conditions: Conditions.default({}),
  requesterCanApprove: z.boolean().default(false),
  adminBypass: z.boolean().default(false),
  /** Content rules (docs/policies.md, "Content rules"); absent means none. */
  rules: z.array(PolicyRule).max(MAX_RULES).optional(),
  escalation: Escalation.optional(),
});
export type Policy = z.infer<typeof Policy>;

export const SCOPES = ['organization', 'project', 'cluster', 'environment'] as const;
export const BindingScope = z.enum(SCOPES);
export type BindingScope = z.infer<typeof BindingScope>;

export const Binding = z.object({
  id: Id,
  policyId: Id,
  scope: BindingScope,
  targetId: Id.optional(),
});
export type Binding = z.infer<typeof Binding>;

export const Resource = z.object({
  projectId: Id.optional(),
  environmentId: Id.optional(),
  clusterId: Id.optional(),
});
export type Resource = z.infer<typeof Resource>;

/**
 * A gate as it stood when the request was made: a bound policy, the environment's Restricted
 * level as an implicit policy, or the implicit owner-or-admin approval that holds a protection
 * change asked for by someone who is not an owner or admin (docs/policies.md, "Gates").
 * Snapshotted so later policy edits don't touch pending requests.
 */
export const GATE_KINDS = ['policy', 'restricted', 'authority'] as const;
export const Gate = z.object({
  id: z.string(),
  kind: z.enum(GATE_KINDS),
  policyId: Id.optional(),
  environmentId: Id.optional(),
  name: z.string(),
  approvers: Approvers,
  quorum: Quorum,
  requesterCanApprove: z.boolean(),
  adminBypass: z.boolean(),
  requireReason: z.boolean(),
  /** The policy's content rules, snapshotted: evaluated again at each decision, where they may only raise the quorum. */
  rules: z.array(PolicyRule).optional(),
  /** The policy's timezone, for the rules' `now`. */
  timezone: z.string().optional(),
  escalation: Escalation.optional(),
  /** When the sweeper made the escalation's approvers eligible (they are then in `approvers`). */
  escalatedAt: IsoTime.optional(),
});
export type Gate = z.infer<typeof Gate>;

/**
 * How much of the diff the reviewer had in front of them when deciding: whether the diff was shown
 * at all (a quick approve from the inbox never shows it), and how many of its files they marked
 * Viewed. Recorded with the decision so nobody can later claim a review that did not happen.
 */
export const DecisionReview = z.strictObject({
  diffShown: z.boolean(),
  filesViewed: z.number().int().min(0).max(1_000_000),
  filesTotal: z.number().int().min(0).max(1_000_000),
});
export type DecisionReview = z.infer<typeof DecisionReview>;

export const DECISION_KINDS = ['approve', 'reject'] as const;
export const Decision = z.object({
  userId: Id,
  kind: z.enum(DECISION_KINDS),
  comment: z.string().optional(),
  reviewedDigest: z.string().optional(),
  review: DecisionReview.optional(),
  at: IsoTime,
});
export type Decision = z.infer<typeof Decision>;

/** Someone asked these approvers to look at a pending request. */
export const Nudge = z.object({ by: Id, at: IsoTime, userIds: z.array(Id), message: z.string().optional() });
export type Nudge = z.infer<typeof Nudge>;

export const REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'cancelled', 'expired'] as const;
export const RequestStatus = z.enum(REQUEST_STATUSES);
export type RequestStatus = z.infer<typeof RequestStatus>;

/** The largest cost figure a request may carry: past it a number is a typo, not an estimate. */
export const COST_LIMIT = 1_000_000_000_000;
const COST_SHAPE = {
  /** What the change costs per month once applied: never negative. */
  totalMonthlyCost: z.number().min(0).max(COST_LIMIT),
  /** How much that changes the monthly bill: negative when the change saves money. */
  monthlyCostDiff: z.number().min(-COST_LIMIT).max(COST_LIMIT),
  /** An ISO 4217 code; without it the figures are in the organisation's usual currency. */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'currency must be a 3-letter ISO 4217 code in capitals, such as EUR')
    .optional(),
};
/** A cost estimate attached to a request (docs/api.md, "Requests"). zod's numbers are finite: NaN and ±Infinity are refused. */
export const RequestCost = z.object(COST_SHAPE);
/** As written in a body: unknown keys are refused, never dropped. */
export const StrictRequestCost = z.strictObject(COST_SHAPE);
export type RequestCost = z.infer<typeof RequestCost>;

/**
 * Terraform's `show -json` output as the request gives it. Only `resource_changes[].address` and
 * `.change.actions` are checked; the rest is passed to rules as written.
 */
export const TerraformPlan = z.looseObject({
  resource_changes: z
    .array(
      z.looseObject({
        address: z.string(),
        change: z.looseObject({ actions: z.array(z.string()) }),
      }),
    )
    .optional(),
});
export type TerraformPlan = z.infer<typeof TerraformPlan>;

/** The diff's risk facts (shared/diff/risk-facts.ts): what content rules read as `risk`. */
export const RISK_FACT_KEYS = [
  'deletedResources',
  'imageChanges',
  'replicaChanges',
  'rbacChanges',
  'secretChanges',
  'terraformDestroys',
  'filesChanged',
  'linesAdded',
  'linesRemoved',
  'untaggedImages',
] as const;
export type RiskFactKey = (typeof RISK_FACT_KEYS)[number];
const count = z.number().int().min(0);
export const RiskFacts = z.object({
  deletedResources: count,
  imageChanges: count,
  replicaChanges: count,
  rbacChanges: count,
  secretChanges: count,
  terraformDestroys: count,
  filesChanged: count,
  linesAdded: count,
  linesRemoved: count,
  /** Image references the change adds with no tag and no digest, or with `:latest`: what runs then is whatever was pushed last. */
  untaggedImages: count,
  /** The distinct kinds of the resources the change deletes (`PersistentVolumeClaim`, `Namespace`…), sorted; at most 50. */
  deletedKinds: z.array(z.string()).max(50),
  /** False when the analysis ran out of its time budget: the counts are then lower bounds. */
  complete: z.boolean(),
});
export type RiskFacts = z.infer<typeof RiskFacts>;

/** How one content rule judged a request (POST /api/policies/evaluate's `rules`, and the request's `ruleResults`). */
export const RuleResult = z.object({
  policyId: Id,
  rule: z.string(),
  matched: z.boolean(),
  outcome: RuleOutcome,
  /** Why it could not be evaluated; such a rule counts as `pending`, never as allowing. */
  error: z.string().optional(),
});
export type RuleResult = z.infer<typeof RuleResult>;

/** The payload as lists, detail and sync carry it: the diff text is fetched apart. */
export const PayloadSummary = z.object({
  revision: z.string().optional(),
  summary: z.string().optional(),
  cost: RequestCost.optional(),
  plan: TerraformPlan.optional(),
  diffBytes: z.number().int().min(0),
  diffLines: z.number().int().min(0),
});
export type PayloadSummary = z.infer<typeof PayloadSummary>;

export const ApprovalRequest = z.object({
  id: Id,
  action: Action,
  resource: Resource,
  requesterId: Id,
  justification: z.string(),
  payload: PayloadSummary,
  digest: z.string(),
  gates: z.array(Gate),
  decisions: z.array(Decision),
  status: RequestStatus,
  /** Warnings recorded when it was allowed past a gate (the "warn" outcome). */
  warnings: z.array(z.string()).default([]),
  nudges: z.array(Nudge).default([]),
  /** The diff's risk facts, computed by the server when the request was made; absent on requests older than content rules. */
  risk: RiskFacts.optional(),
  /** Every content rule of its gates' policies and how it judged the request, at creation and at each decision since. */
  ruleResults: z.array(RuleResult).optional(),
  breakGlassSessionId: Id.optional(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  expiresAt: IsoTime,
});
export type ApprovalRequest = z.infer<typeof ApprovalRequest>;

export const BreakGlassScope = z.object({
  actions: z.array(Action).min(1),
  environmentIds: z.array(Id).optional(),
});
export const StrictBreakGlassScope = BreakGlassScope.strict();
export type BreakGlassScope = z.infer<typeof BreakGlassScope>;

export const BREAKGLASS_VERDICTS = ['justified', 'unjustified'] as const;
export const BreakGlassVerdict = z.enum(BREAKGLASS_VERDICTS);
export type BreakGlassVerdict = z.infer<typeof BreakGlassVerdict>;

/** An auditor's verdict on an ended session: every break-glass use is looked at afterwards. */
export const BreakGlassReview = z.object({
  by: Id,
  at: IsoTime,
  verdict: BreakGlassVerdict,
  notes: z.string(),
});
export type BreakGlassReview = z.infer<typeof BreakGlassReview>;

export const BreakGlassSession = z.object({
  id: Id,
  userId: Id,
  reason: z.string(),
  scope: BreakGlassScope,
  startedAt: IsoTime,
  expiresAt: IsoTime,
  endedAt: IsoTime.optional(),
  endedBy: Id.optional(),
  review: BreakGlassReview.optional(),
});
export type BreakGlassSession = z.infer<typeof BreakGlassSession>;

export const AuditEvent = z.object({
  seq: z.number().int().min(1),
  at: IsoTime,
  actorId: z.string(),
  type: z.string(),
  subject: z.string(),
  details: z.record(z.string(), z.unknown()),
  breakGlassSessionId: Id.optional(),
  breakGlass: z.boolean(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

/** The server's signed statement that the audit event at `seq` had `hash` (Ed25519, base64, over `${seq}.${hash}`). */
export const AuditCheckpoint = z.object({
  seq: z.number().int().min(1),
  hash: z.string(),
  at: IsoTime,
  signature: z.string(),
});
export type AuditCheckpoint = z.infer<typeof AuditCheckpoint>;
