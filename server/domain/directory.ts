// The directory: users, teams, projects, clusters, policies and bindings. Owners and admins
// write it; everyone reads it.
import type {
  Binding,
  CreateBindingBody,
  CreatePolicyBody,
  CreateUserBody,
  NamedBody,
  PatchPolicyBody,
  PatchUserBody,
  Policy,
  User,
} from '../../shared/schemas/index.ts';
import { Policy as PolicySchema } from '../../shared/schemas/index.ts';
import { gateFromPolicy, isAdmin, isEligible } from '../../shared/policy/index.ts';
import { ruleIssues } from '../../shared/policy/rule-compile.ts';
import type { StoreReader, StoreTx } from '../store/types.ts';
import { audit, type ServiceContext } from './context.ts';
import { DomainError, conflict, forbidden, invalid, notFound } from './errors.ts';
import { newId } from './ids.ts';
import { assertRefs } from './refs.ts';
import { changed, created, type Result } from './result.ts';
import { issueToken } from './tokens.ts';

export function assertAdmin(actor: User): void {
  if (!isAdmin(actor)) throw forbidden('only owners and admins can change the directory');
}

/** Creates a user and a first token for them (named `tokenName`); the secret is shown once and stored only hashed. */
/** The user a GitHub login belongs to (GitHub logins are case-insensitive). */
export async function userByGitHubLogin(tx: StoreReader, login: string): Promise<User | undefined> {
  const wanted = login.toLowerCase();
  return (await tx.list('user')).find((u) => u.githubLogin?.toLowerCase() === wanted);
}

async function assertGitHubLoginFree(tx: StoreReader, login: string, self: string | undefined): Promise<void> {
  const holder = await userByGitHubLogin(tx, login);
  if (holder && holder.id !== self) throw conflict('github_login_taken', `the GitHub login ${login} already belongs to ${holder.name}`);
}

export async function createUser(
  ctx: ServiceContext,
  tx: StoreTx,
  actor: User | 'system',
  body: CreateUserBody,
  tokenName = 'initial',
): Promise<Result<{ user: User; token: string }>> {
  if (actor !== 'system') {
    assertAdmin(actor);
    if (body.orgRole === 'owner' && actor.orgRole !== 'owner') throw forbidden('only owners can create owners');
  }
  if (await tx.userByEmail(body.email)) throw conflict('email_taken', `a user with email ${body.email} already exists`);
  if (body.githubLogin !== undefined) await assertGitHubLoginFree(tx, body.githubLogin, undefined);
  await assertRefs(tx, [['team', body.teamIds, 'teamIds']]);
  const user: User = {
    id: newId('usr'),
    name: body.name,
    email: body.email,
    orgRole: body.orgRole,
    roles: [...new Set(body.roles ?? [])],
    teamIds: [...new Set(body.teamIds ?? [])],
    active: true,
    ...(body.githubLogin !== undefined ? { githubLogin: body.githubLogin } : {}),
  };
  await tx.put('user', user);
  await audit(tx, ctx.now(), actor, 'user.created', user.id, {
    name: user.name,
    email: user.email,
    orgRole: user.orgRole,
    roles: user.roles,
    teamIds: user.teamIds,
    ...(user.githubLogin !== undefined ? { githubLogin: user.githubLogin } : {}),
  });
  const { secret: token } = await issueToken(ctx, tx, actor, user, { name: tokenName });
  return created({ user, token });
}

export async function patchUser(ctx: ServiceContext, tx: StoreTx, actor: User, id: string, body: PatchUserBody): Promise<Result<User>> {
  assertAdmin(actor);
  const user = await tx.get('user', id);
  if (!user) throw notFound('user');
  if (user.orgRole === 'owner' && actor.orgRole !== 'owner') throw forbidden('only owners can change an owner');
  if ((body.orgRole === 'owner' || user.orgRole === 'owner') && body.orgRole !== undefined && body.orgRole !== user.orgRole && actor.orgRole !== 'owner') {
    throw forbidden('only owners can grant or remove the owner role');
  }
  if (user.orgRole === 'owner' && body.orgRole !== undefined && body.orgRole !== 'owner') {
    const owners = (await tx.list('user')).filter((u) => u.orgRole === 'owner');
    if (owners.length <= 1) throw conflict('last_owner', 'the organisation must keep at least one owner');
  }
  if (body.email !== undefined && body.email.toLowerCase() !== user.email.toLowerCase() && (await tx.userByEmail(body.email))) {
    throw conflict('email_taken', `a user with email ${body.email} already exists`);
  }
  if (body.githubLogin) await assertGitHubLoginFree(tx, body.githubLogin, user.id);
  await assertRefs(tx, [['team', body.teamIds, 'teamIds']]);
  const { githubLogin: _previous, ...rest } = user;
  const githubLogin = body.githubLogin === undefined ? user.githubLogin : (body.githubLogin ?? undefined);
  const updated: User = {
    ...rest,
    ...(githubLogin !== undefined ? { githubLogin } : {}),
    ...(body.name !== undefined ? { name: body.name } : {}),
    ...(body.email !== undefined ? { email: body.email } : {}),
    ...(body.orgRole !== undefined ? { orgRole: body.orgRole } : {}),
    ...(body.roles !== undefined ? { roles: [...new Set(body.roles)] } : {}),
    ...(body.teamIds !== undefined ? { teamIds: [...new Set(body.teamIds)] } : {}),
  };
  await tx.put('user', updated);
  await audit(tx, ctx.now(), actor, 'user.updated', id, { changes: body });
  return changed(updated);
}

/** Teams, projects and clusters are just named things; names are unique per kind. */
export async function createNamed(
  ctx: ServiceContext,
  tx: StoreTx,
  actor: User,
  entity: 'team' | 'project' | 'cluster',
  body: NamedBody,
): Promise<Result<{ id: string; name: string }>> {
  assertAdmin(actor);
  const existing = await tx.list(entity);
  if (existing.some((e) => e.name.toLowerCase() === body.name.toLowerCase())) throw conflict('conflict', `a ${entity} named "${body.name}" already exists`);
  const prefix = { team: 'team', project: 'prj', cluster: 'cls' }[entity];
  const value = { id: newId(prefix), name: body.name };
  await tx.put(entity, value);
  await audit(tx, ctx.now(), actor, `${entity}.created`, value.id, { name: value.name });
  return created(value);
}

async function assertPolicyRefs(tx: StoreTx, p: Pick<Policy, 'approvers' | 'quorum' | 'rules' | 'escalation'>): Promise<void> {
  await assertRefs(tx, [
    ['user', p.approvers.userIds, 'approvers.userIds'],
    ['team', p.approvers.teamIds, 'approvers.teamIds'],
    ['user', p.quorum.requiredUserIds, 'quorum.requiredUserIds'],
    ['team', p.quorum.requiredTeamIds, 'quorum.requiredTeamIds'],
    ['user', p.escalation?.approvers.userIds, 'escalation.approvers.userIds'],
    ['team', p.escalation?.approvers.teamIds, 'escalation.approvers.teamIds'],
    ...(p.rules ?? []).flatMap((r, i): Parameters<typeof assertRefs>[1] => [
      ['user', r.quorum?.requiredUserIds, `rules[${i}].quorum.requiredUserIds`],
      ['team', r.quorum?.requiredTeamIds, `rules[${i}].quorum.requiredTeamIds`],
    ]),
  ]);
  // Only approvers' decisions count, so a required user who can't approve makes the gate unpassable.
  const gate = gateFromPolicy({ ...PolicySchema.parse({ id: 'check', name: 'check', actions: ['release.deploy'], approvers: p.approvers, quorum: p.quorum }) });
  for (const id of p.quorum.requiredUserIds) {
    const user = await tx.get('user', id);
    if (user && !isEligible(user, { ...gate, requesterCanApprove: true }, '')) {
      throw invalid(`quorum.requiredUserIds: ${user.name} (${id}) is required but is not among the approvers`, [
        { path: ['quorum', 'requiredUserIds'], message: `${id} is not an approver` },
      ]);
    }
  }
  if (
    !p.approvers.userIds.length &&
    !p.approvers.teamIds.length &&
    !p.approvers.orgRoles.length &&
    (p.quorum.minApprovals > 0 || p.quorum.requiredUserIds.length)
  ) {
    throw invalid('approvers: a policy that needs approvals must name at least one approver (user, team or org role)', [
      { path: ['approvers'], message: 'no approvers' },
    ]);
  }
}

/** A rule that does not compile is refused when the policy is saved, at its position, not on every request later. */
export function assertRulesCompile(rules: Policy['rules']): void {
  const issues = ruleIssues(rules ?? []);
  if (issues.length === 0) return;
  const first = issues[0]!;
  throw new DomainError(
    'invalid_request',
    'invalid_rule',
    `rule "${first.rule}": ${first.message}${first.position !== undefined ? ` (at position ${first.position})` : ''}`,
    issues.map((i) => ({ rule: i.rule, message: i.message, ...(i.position !== undefined ? { position: i.position } : {}) })),
  );
}

export async function createPolicy(ctx: ServiceContext, tx: StoreTx, actor: User, body: CreatePolicyBody): Promise<Result<Policy>> {
  assertAdmin(actor);
  assertRulesCompile(body.rules);
  const policy = PolicySchema.parse({ ...body, id: newId('pol') });
  await assertPolicyRefs(tx, policy);
  await tx.put('policy', policy);
  await audit(tx, ctx.now(), actor, 'policy.created', policy.id, { policy });
  return created(policy);
}

export async function patchPolicy(ctx: ServiceContext, tx: StoreTx, actor: User, id: string, body: PatchPolicyBody): Promise<Result<Policy>> {
  assertAdmin(actor);
  const policy = await tx.get('policy', id);
  if (!policy) throw notFound('policy');
  assertRulesCompile(body.rules);
  const { escalation, ...rest } = body;
  const { escalation: _saved, ...kept } = policy;
  // `escalation: null` removes it; left out, the saved one stays.
  const merged = escalation === null ? { ...kept, ...rest } : { ...policy, ...rest, ...(escalation !== undefined ? { escalation } : {}) };
  const parsed = PolicySchema.safeParse(merged);
  if (!parsed.success) throw invalid('the patched policy is invalid', parsed.error.issues);
  await assertPolicyRefs(tx, parsed.data);
  await tx.put('policy', parsed.data);
  // Pending requests keep the gates they were created with: only future requests see this.
  await audit(tx, ctx.now(), actor, 'policy.updated', id, { before: policy, after: parsed.data });
  return changed(parsed.data);
}

export async function deletePolicy(ctx: ServiceContext, tx: StoreTx, actor: User, id: string): Promise<Result<Policy>> {
  assertAdmin(actor);
  const policy = await tx.get('policy', id);
  if (!policy) throw notFound('policy');
  const bindings = (await tx.list('binding')).filter((b) => b.policyId === id);
  for (const b of bindings) await tx.remove('binding', b.id);
  await tx.remove('policy', id);
  await audit(tx, ctx.now(), actor, 'policy.deleted', id, { name: policy.name, removedBindings: bindings.map((b) => b.id) });
  return changed(policy);
}

const SCOPE_ENTITY = { project: 'project', cluster: 'cluster', environment: 'environment' } as const;

export async function createBinding(ctx: ServiceContext, tx: StoreTx, actor: User, body: CreateBindingBody): Promise<Result<Binding>> {
  assertAdmin(actor);
  if (!(await tx.get('policy', body.policyId))) throw invalid(`policyId: unknown policy "${body.policyId}"`);
  if (body.scope !== 'organization') await assertRefs(tx, [[SCOPE_ENTITY[body.scope], [body.targetId!], 'targetId']]);
  const existing = await tx.list('binding');
  if (existing.some((b) => b.policyId === body.policyId && b.scope === body.scope && b.targetId === body.targetId)) {
    throw conflict('conflict', 'this policy is already bound there');
  }
  const binding: Binding = {
    id: newId('bnd'),
    policyId: body.policyId,
    scope: body.scope,
    ...(body.targetId !== undefined ? { targetId: body.targetId } : {}),
  };
  await tx.put('binding', binding);
  await audit(tx, ctx.now(), actor, 'binding.created', binding.id, { binding });
  return created(binding);
}

export async function deleteBinding(ctx: ServiceContext, tx: StoreTx, actor: User, id: string): Promise<Result<Binding>> {
  assertAdmin(actor);
  const binding = await tx.get('binding', id);
  if (!binding) throw notFound('binding');
  await tx.remove('binding', id);
  await audit(tx, ctx.now(), actor, 'binding.deleted', id, { binding });
  return changed(binding);
}
