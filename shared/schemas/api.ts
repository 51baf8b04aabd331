// Request bodies and responses of the HTTP API (docs/api.md). The server validates bodies with these; the desktop
// client parses responses with these.
import { z } from 'zod';
import {
  Action,
  ApprovalRequest,
  ApiToken,
  AuditCheckpoint,
  AuditEvent,
  Binding,
  BindingScope,
  BreakGlassSession,
  BreakGlassVerdict,
  Cluster,
  CustomRoleName,
  DecisionReview,
  Environment,
  Gate,
  Id,
  IsoTime,
  MAX_RULES,
  OrgRole,
  Policy,
  Project,
  Protection,
  RequestStatus,
  Resource,
  RuleOutcome,
  RuleResult,
  StrictApprovers,
  StrictBreakGlassScope,
  StrictConditions,
  StrictEscalation,
  StrictPolicyRule,
  StrictQuorum,
  StrictRequestCost,
  StrictReviewers,
  Team,
  TerraformPlan,
  User,
  GitHubLogin,
} from './domain.ts';

const Name = z.string().trim().min(1).max(200);
/** Lists in bodies are bounded so a body cannot make the server do unbounded work. */
const IdList = z.array(Id).max(1000);

// ---- bodies -------------------------------------------------------------------------------------

export const CreateUserBody = z.strictObject({
  name: Name,
  email: z.email().max(320),
  orgRole: OrgRole,
  roles: z.array(CustomRoleName).max(100).optional(),
  teamIds: IdList.optional(),
  githubLogin: GitHubLogin.optional(),
});
export type CreateUserBody = z.infer<typeof CreateUserBody>;

export const PatchUserBody = z.strictObject({
  name: Name.optional(),
  email: z.email().max(320).optional(),
  orgRole: OrgRole.optional(),
  roles: z.array(CustomRoleName).max(100).optional(),
  teamIds: IdList.optional(),
  /** null takes the login away. */
  githubLogin: GitHubLogin.nullable().optional(),
});
export type PatchUserBody = z.infer<typeof PatchUserBody>;

export const NamedBody = z.strictObject({ name: Name });
export type NamedBody = z.infer<typeof NamedBody>;

export const CreateEnvironmentBody = z.strictObject({
  projectId: Id,
  name: Name,
  clusterId: Id.optional(),
  protection: Protection.optional(),
  reviewers: StrictReviewers.optional(),
});
export type CreateEnvironmentBody = z.infer<typeof CreateEnvironmentBody>;

export const PatchEnvironmentBody = z.strictObject({
  protection: Protection.optional(),
  reviewers: StrictReviewers.optional(),
});
export type PatchEnvironmentBody = z.infer<typeof PatchEnvironmentBody>;

export const CreatePolicyBody = z.strictObject({
  name: Name,
  description: z.string().max(2000).optional(),
  actions: z.array(Action).min(1).max(100),
  approvers: StrictApprovers,
  quorum: StrictQuorum,
  conditions: StrictConditions.optional(),
  requesterCanApprove: z.boolean().optional(),
  adminBypass: z.boolean().optional(),
  rules: z.array(StrictPolicyRule).max(MAX_RULES).optional(),
  escalation: StrictEscalation.optional(),
});
export type CreatePolicyBody = z.infer<typeof CreatePolicyBody>;

export const PatchPolicyBody = z.strictObject({
  name: Name.optional(),
  description: z.string().max(2000).optional(),
  actions: z.array(Action).min(1).max(100).optional(),
  approvers: StrictApprovers.optional(),
  quorum: StrictQuorum.optional(),
  conditions: StrictConditions.optional(),
  requesterCanApprove: z.boolean().optional(),
  adminBypass: z.boolean().optional(),
  rules: z.array(StrictPolicyRule).max(MAX_RULES).optional(),
  /** null removes the escalation. */
  escalation: StrictEscalation.nullable().optional(),
});
export type PatchPolicyBody = z.infer<typeof PatchPolicyBody>;

const targetMatchesScope = (b: { scope: BindingScope; targetId?: string | undefined }) => (b.scope === 'organization') === (b.targetId === undefined);
const targetMatchesScopeError = {
  message: 'targetId is required for project, cluster and environment bindings, and not allowed for organization ones',
  path: ['targetId'],
};
export const CreateBindingBody = z
  .strictObject({ policyId: Id, scope: BindingScope, targetId: Id.optional() })
  .refine(targetMatchesScope, targetMatchesScopeError);
export type CreateBindingBody = z.infer<typeof CreateBindingBody>;

/** Where a draft policy would be bound: a binding without its ids (organization has no target). */
export const DraftBinding = z.strictObject({ scope: BindingScope, targetId: Id.optional() }).refine(targetMatchesScope, targetMatchesScopeError);
export type DraftBinding = z.infer<typeof DraftBinding>;

/**
 * A policy as the console's editor holds it before saving: the body it would send, the saved
 * policy it replaces (`id`, when editing one) and the bindings it would have. Try it and Replay
 * judge it beside the saved policies, in place of the one it edits.
 */
export const PolicyDraft = CreatePolicyBody.extend({
  id: Id.optional(),
  bindings: z.array(DraftBinding).max(100).default([]),
});
export type PolicyDraft = z.infer<typeof PolicyDraft>;

/** A Terraform plan is carried with the request (lists and sync too): 1 MiB of JSON is a very large plan. */
export const MAX_PLAN_CHARS = 1_048_576;

/** 16 MiB bodies are allowed on this route; the diff is the large part. */
export const CreateRequestBody = z.strictObject({
  action: Action,
  resource: Resource.strict(),
  justification: z.string().max(10_000).optional(),
  payload: z
    .strictObject({
      revision: z.string().max(500).optional(),
      // Served back as UTF-8 and hashed into the digest: a lone surrogate has no UTF-8 form.
      diff: z
        .string()
        .refine((d) => !/\p{Cs}/u.test(d), { message: 'the diff must be valid UTF-8 text (it contains a lone UTF-16 surrogate)' })
        .optional(),
      summary: z.string().max(10_000).optional(),
      cost: StrictRequestCost.optional(),
      plan: TerraformPlan.refine((p) => JSON.stringify(p).length <= MAX_PLAN_CHARS, {
        message: `the plan must be at most ${MAX_PLAN_CHARS} characters of JSON`,
      }).optional(),
    })
    .optional(),
});
export type CreateRequestBody = z.infer<typeof CreateRequestBody>;

/**
 * POST /api/policies/evaluate: what creating that request would do, changing nothing. `policy` is
 * a draft judged as if bound (`binding`) beside the saved policies.
 */
export const EvaluatePolicyBody = z.strictObject({
  action: CreateRequestBody.shape.action,
  resource: CreateRequestBody.shape.resource,
  justification: CreateRequestBody.shape.justification,
  payload: CreateRequestBody.shape.payload,
  /** Whose request it would be; without it, the caller's. */
  requesterId: Id.optional(),
  policy: CreatePolicyBody.extend({ binding: DraftBinding }).optional(),
});
export type EvaluatePolicyBody = z.infer<typeof EvaluatePolicyBody>;

export const EvaluatePolicyResponse = z.object({
  outcome: RuleOutcome,
  /** The gates the request would wait on ([] unless the outcome is pending). */
  gates: z.array(Gate),
  warnings: z.array(z.string()),
  /** Why it would be refused: the rules' and policies' messages, or the lock's. */
  violations: z.array(z.object({ policyId: z.string().optional(), message: z.string() })),
  rules: z.array(RuleResult),
});
export type EvaluatePolicyResponse = z.infer<typeof EvaluatePolicyResponse>;

export const ApproveBody = z.strictObject({
  comment: z.string().max(10_000).optional(),
  reviewedDigest: z.string().max(200).optional(),
  /** How much of the diff the approver was shown (the console sends it with every approval; reviewedDigest only if the diff was shown). */
  review: DecisionReview.optional(),
});
export type ApproveBody = z.infer<typeof ApproveBody>;

/** Without userIds: everyone who can still approve. */
export const NudgeBody = z.strictObject({
  userIds: z.array(Id).min(1).max(100).optional(),
  message: z.string().trim().max(500).optional(),
});
export type NudgeBody = z.infer<typeof NudgeBody>;

export const RejectBody = z.strictObject({ comment: z.string().max(10_000).optional() });
export type RejectBody = z.infer<typeof RejectBody>;

/** A freeze's reason is read by everyone it blocks: one or two letters say nothing. */
export const FREEZE_REASON_MIN = 3;

export const FreezeBody = z.strictObject({
  reason: z.string().trim().min(FREEZE_REASON_MIN, `a reason of at least ${FREEZE_REASON_MIN} characters is required`).max(2000),
  until: IsoTime.optional(),
});
export type FreezeBody = z.infer<typeof FreezeBody>;

export const UnfreezeBody = z.strictObject({ reason: z.string().max(2000).optional() });
export type UnfreezeBody = z.infer<typeof UnfreezeBody>;

export const BREAKGLASS_MIN_MINUTES = 30;
export const BREAKGLASS_MAX_MINUTES = 240;
export const StartBreakGlassBody = z.strictObject({
  reason: z.string().trim().min(10, 'reason must be at least 10 characters').max(2000),
  scope: StrictBreakGlassScope,
  durationMinutes: z.number().int().min(BREAKGLASS_MIN_MINUTES).max(BREAKGLASS_MAX_MINUTES),
});
export type StartBreakGlassBody = z.infer<typeof StartBreakGlassBody>;

/** A review's notes are the audit log's account of why an override was or wasn't fine: "ok" says nothing. */
export const BREAKGLASS_REVIEW_NOTES_MIN = 10;
export const BREAKGLASS_REVIEW_NOTES_MAX = 2000;
export const ReviewBreakGlassBody = z.strictObject({
  verdict: BreakGlassVerdict,
  notes: z
    .string()
    .trim()
    .min(BREAKGLASS_REVIEW_NOTES_MIN, `notes must be at least ${BREAKGLASS_REVIEW_NOTES_MIN} characters`)
    .max(BREAKGLASS_REVIEW_NOTES_MAX),
});
export type ReviewBreakGlassBody = z.infer<typeof ReviewBreakGlassBody>;

export const CreateTokenBody = z.strictObject({
  name: Name,
  /** Whole days from now; without it the token never expires. */
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export type CreateTokenBody = z.infer<typeof CreateTokenBody>;

// ---- query strings ------------------------------------------------------------------------------

const IntString = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const ListRequestsQuery = z.strictObject({
  status: RequestStatus.optional(),
  action: Action.optional(),
  environmentId: Id.optional(),
  projectId: Id.optional(),
  limit: IntString(1, 500).default(100),
  cursor: z.string().max(200).optional(),
});
export type ListRequestsQuery = z.infer<typeof ListRequestsQuery>;

export const SyncQuery = z.strictObject({
  cursor: IntString(0, Number.MAX_SAFE_INTEGER).default(0),
  limit: IntString(1, 5000).default(1000),
});
export type SyncQuery = z.infer<typeof SyncQuery>;

export const AuditQuery = z
  .strictObject({
    after: IntString(0, Number.MAX_SAFE_INTEGER).default(0),
    limit: IntString(1, 5000).default(500),
    /** Only the events about one thing: a request's history, an environment's freezes. */
    subject: z.string().min(1).max(200).optional(),
    /** Newest first instead: the events before this seq, and `next` is the seq to ask before next. */
    before: IntString(1, Number.MAX_SAFE_INTEGER).optional(),
  })
  .refine((q) => q.before === undefined || q.after === 0, { message: 'after and before cannot be combined', path: ['before'] });
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditExportQuery = z.strictObject({
  format: z.enum(['csv', 'jsonl']).default('jsonl'),
  from: IsoTime.optional(),
  to: IsoTime.optional(),
});
export type AuditExportQuery = z.infer<typeof AuditExportQuery>;

export const TokensQuery = z.strictObject({ userId: Id.optional() });

export const BreakGlassListQuery = z.strictObject({
  active: z.enum(['true', 'false']).optional(),
  /** `pending`: ended (revoked, or past expiresAt) and not yet reviewed. */
  review: z.enum(['pending']).optional(),
});

// ---- responses ----------------------------------------------------------------------------------

/** Per gate: what is met, what is missing, and who can still move it (for a UI). */
export const GateProgress = z.object({
  gateId: z.string(),
  name: z.string(),
  passed: z.boolean(),
  approvals: z.number().int(),
  required: z.number().int(),
  met: z.array(z.string()),
  missing: z.array(z.string()),
  /** Users eligible for this gate who have not decided yet. */
  canStillApprove: z.array(Id),
  /**
   * The gate's escalation in words: "after 30 min short of its quorum, team SRE may approve too",
   * prefixed "escalated: " once it fired. Absent without one.
   */
  escalation: z.string().optional(),
  /** When the escalation fired (its approvers are then eligible for the gate). */
  escalatedAt: IsoTime.optional(),
});
export type GateProgress = z.infer<typeof GateProgress>;

export const Progress = z.object({
  status: z.enum(['approved', 'rejected', 'pending']),
  gates: z.array(GateProgress),
  summary: z.string(),
});
export type Progress = z.infer<typeof Progress>;

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const UserResponse = z.object({ user: User });
/** GET /api/me: the caller, and the token the call was made with (so a client can tell which of its tokens it uses). */
export const MeResponse = z.object({ user: User, token: ApiToken.optional() });
/** `token` is the new user's secret, in the first answer only (an idempotent replay answers `{user}`). */
export const CreatedUserResponse = z.object({ user: User, token: z.string() });
export const TokenResponse = z.object({ token: ApiToken });
/** `secret` is shown in the first answer only (an idempotent replay answers `{token}`). */
export const CreatedTokenResponse = z.object({ token: ApiToken, secret: z.string() });
export const TokensResponse = z.object({ tokens: z.array(ApiToken) });
export const UsersResponse = z.object({ users: z.array(User) });
export const TeamResponse = z.object({ team: Team });
export const TeamsResponse = z.object({ teams: z.array(Team) });
export const ProjectResponse = z.object({ project: Project });
export const ProjectsResponse = z.object({ projects: z.array(Project) });
export const ClusterResponse = z.object({ cluster: Cluster });
export const ClustersResponse = z.object({ clusters: z.array(Cluster) });
export const EnvironmentResponse = z.object({ environment: Environment });
export const EnvironmentsResponse = z.object({ environments: z.array(Environment) });
export const PolicyResponse = z.object({ policy: Policy });
export const PoliciesResponse = z.object({ policies: z.array(Policy) });
export const BindingResponse = z.object({ binding: Binding });
export const BindingsResponse = z.object({ bindings: z.array(Binding) });
export const RequestResponse = z.object({ request: ApprovalRequest });
export const RequestsResponse = z.object({ requests: z.array(ApprovalRequest), nextCursor: z.string().nullable() });
export const RequestDetailResponse = z.object({ request: ApprovalRequest, progress: Progress, canApprove: z.boolean() });
export const SessionResponse = z.object({ session: BreakGlassSession });
export const SessionsResponse = z.object({ sessions: z.array(BreakGlassSession) });
export const AuditResponse = z.object({ events: z.array(AuditEvent), next: z.number().int().nullable() });
/** `checkpoint` is the last signed one (null only for an empty log); events after it are not signed yet. */
export const AuditVerifyResponse = z.union([
  z.object({ ok: z.literal(true), count: z.number().int(), checkpoint: AuditCheckpoint.nullable() }),
  z.object({ ok: z.literal(false), brokenAt: z.number().int(), reason: z.enum(['hash', 'signature', 'truncated']) }),
]);
export type AuditVerifyResponse = z.infer<typeof AuditVerifyResponse>;
export const AuditCheckpointsQuery = z.strictObject({
  after: IntString(0, Number.MAX_SAFE_INTEGER).default(0),
  limit: IntString(1, 5000).default(1000),
});
export const AuditCheckpointsResponse = z.object({ checkpoints: z.array(AuditCheckpoint) });
export const AuditPublicKeyResponse = z.object({ algorithm: z.literal('ed25519'), publicKey: z.string() });
/** The last line of a JSONL export (the CSV carries the same in its last record, type "checkpoint"). */
export const AuditExportCheckpointLine = z.strictObject({ checkpoint: AuditCheckpoint });

export const SYNC_ENTITIES = ['user', 'team', 'project', 'cluster', 'environment', 'policy', 'binding', 'request', 'breakglass'] as const;
export const SyncEntity = z.enum(SYNC_ENTITIES);
export type SyncEntity = z.infer<typeof SyncEntity>;

/** What each synced entity is: the store, the sync protocol and the desktop cache all use this map. */
export interface EntityTypes {
  user: User;
  team: Team;
  project: Project;
  cluster: Cluster;
  environment: Environment;
  policy: Policy;
  binding: Binding;
  request: ApprovalRequest;
  breakglass: BreakGlassSession;
}

export const SyncChange = z.object({
  seq: z.number().int(),
  entity: SyncEntity,
  id: Id,
  op: z.enum(['upsert', 'delete']),
  data: z.unknown().optional(),
});
export type SyncChange = z.infer<typeof SyncChange>;
export const SyncResponse = z.object({
  changes: z.array(SyncChange),
  cursor: z.number().int(),
  hasMore: z.boolean(),
  /** This database's identity: a client holding another's data must start over. */
  serverId: z.string().optional(),
});
export type SyncResponse = z.infer<typeof SyncResponse>;

export { IsoTime };
