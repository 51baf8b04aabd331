// GitHub deployment protection rules (docs/github.md): which repository belongs to which project,
// and the GitHub login that makes a user the requester of a deployment they started.
import { z } from 'zod';
import { Id, IsoTime } from './domain.ts';

export { GitHubLogin } from './domain.ts';

/** "owner/name", as GitHub spells it (matched without regard to case, as GitHub does). */
export const GitHubRepository = z
  .string()
  .trim()
  .max(140)
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/[A-Za-z0-9._-]{1,100}$/, 'must be a repository as owner/name, e.g. acme/payments');

export const GitHubLink = z.object({
  id: Id,
  repository: GitHubRepository,
  projectId: Id,
  createdAt: IsoTime,
  createdBy: Id,
});
export type GitHubLink = z.infer<typeof GitHubLink>;

export const CreateGitHubLinkBody = z.strictObject({ repository: GitHubRepository, projectId: Id });
export type CreateGitHubLinkBody = z.infer<typeof CreateGitHubLinkBody>;

export const GitHubLinksResponse = z.object({ links: z.array(GitHubLink) });
export const GitHubLinkResponse = z.object({ link: GitHubLink });

/** Whether this server was started as a GitHub App (serve --github-app-id …), and where its API is. */
export const GitHubStatusResponse = z.object({
  configured: z.boolean(),
  appId: z.string().optional(),
  apiUrl: z.string().optional(),
  webhookPath: z.string(),
});
export type GitHubStatusResponse = z.infer<typeof GitHubStatusResponse>;
