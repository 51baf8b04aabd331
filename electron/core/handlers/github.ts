// github.*: the server's GitHub App integration (docs/github.md), online only and never cached. The
// server decides who may (admins), so anyone else is refused in the server's words; a repository
// linked already (409) or an unknown project (400) is thrown as the server said it, for the form.
import { randomUUID } from 'node:crypto';
import type { Handlers } from '../../../shared/ipc.ts';
import type { Connection } from '../connection/index.ts';

export interface GitHubDeps {
  connection: Pick<Connection, 'online'>;
}

type GitHubChannels = 'github.status' | 'github.links.list' | 'github.links.create' | 'github.links.remove';

/** The server's URL (as this app reaches it) joined with the webhook's path, without a doubled slash. */
export function webhookUrl(baseUrl: string, webhookPath: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${webhookPath.replace(/^\/+/, '')}`;
}

export function githubHandlers(d: GitHubDeps): Pick<Handlers, GitHubChannels> {
  const online = () => d.connection.online();
  return {
    'github.status': async () => {
      const client = online();
      const status = await client.githubStatus();
      return { ...status, webhookUrl: webhookUrl(client.baseUrl, status.webhookPath) };
    },
    'github.links.list': async () => ({ links: await online().githubLinks() }),
    'github.links.create': async (body) => ({ link: await online().createGitHubLink(body, randomUUID()) }),
    'github.links.remove': async ({ id }) => ({ link: await online().deleteGitHubLink(id, randomUUID()) }),
  };
}
