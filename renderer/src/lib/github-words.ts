// The GitHub screen's words (docs/github.md): refusals in words, a repository checked as it is
// typed with the schema the server uses, and the server's field prefix taken off its messages.
import { GitHubRepository } from '../../../shared/schemas/index.ts';
import { isForbidden, isOffline } from './notify-words.ts';

export const GITHUB_OFFLINE = 'The GitHub integration is kept on the server; you are offline, so it can’t be read or changed now.';
export const GITHUB_FORBIDDEN = 'Only owners and admins see and manage the GitHub integration. Ask one of them to link your repository to its project.';

/** A refusal in words: offline and forbidden say what they mean here; the server's own words otherwise. */
export function githubError(err: unknown): string {
  if (isOffline(err)) return (err as { code?: unknown }).code === 'signed_out' ? 'Sign in to a Gatehouse server first.' : GITHUB_OFFLINE;
  if (isForbidden(err)) return GITHUB_FORBIDDEN;
  const message = err instanceof Error ? err.message : String(err);
  // `projectId: unknown project "prj_x"`: the form says which field; the words are the rest.
  return message.replace(/^(repository|projectId): /, '');
}

/** What is wrong with the repository as typed, in the schema's words; undefined while empty or fine. */
export function repositoryProblem(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  const checked = GitHubRepository.safeParse(text);
  return checked.success ? undefined : (checked.error.issues[0]?.message ?? 'invalid');
}
