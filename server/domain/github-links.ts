// Which GitHub repository belongs to which project (owners and admins): a deployment protection
// rule event from a repository becomes a request on its project's environment of the same name.
import type { CreateGitHubLinkBody, GitHubLink, User } from '../../shared/schemas/index.ts';
import type { StoreTx } from '../store/types.ts';
import { audit, type ServiceContext } from './context.ts';
import { DomainError, conflict, invalid } from './errors.ts';
import { newId } from './ids.ts';
import { changed, created, type Result } from './result.ts';

export async function createGitHubLink(ctx: ServiceContext, tx: StoreTx, actor: User, body: CreateGitHubLinkBody): Promise<Result<GitHubLink>> {
  const project = await tx.get('project', body.projectId);
  if (!project) throw invalid(`projectId: unknown project "${body.projectId}"`, [{ path: ['projectId'], message: 'no such project' }]);
  const taken = (await tx.githubLinks()).find((l) => l.repository.toLowerCase() === body.repository.toLowerCase());
  if (taken) {
    const owner = await tx.get('project', taken.projectId);
    throw conflict('conflict', `${taken.repository} is already linked to project ${owner?.name ?? taken.projectId}: unlink it first`);
  }
  const link: GitHubLink = { id: newId('ghl'), repository: body.repository, projectId: project.id, createdAt: ctx.now().toISOString(), createdBy: actor.id };
  await tx.putGitHubLink(link);
  await audit(tx, ctx.now(), actor, 'github.link.created', link.id, { repository: link.repository, projectId: link.projectId, project: project.name });
  return created(link);
}

export async function deleteGitHubLink(ctx: ServiceContext, tx: StoreTx, actor: User, id: string): Promise<Result<GitHubLink>> {
  const link = (await tx.githubLinks()).find((l) => l.id === id);
  if (!link) throw new DomainError('not_found', 'not_found', 'GitHub link not found');
  await tx.removeGitHubLink(id);
  await audit(tx, ctx.now(), actor, 'github.link.deleted', link.id, { repository: link.repository, projectId: link.projectId });
  return changed(link);
}
