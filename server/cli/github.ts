// `gatehouse github status | links | link | unlink`: the GitHub integration from the command line
// (docs/github.md). Which repository belongs to which project is named by name here; the server
// keeps ids. Exit codes as `policy`: 0 done, 1 the server refused or was not reached, 2 bad input.
import { parseArgs } from 'node:util';
import {
  GitHubLinkResponse,
  GitHubLinksResponse,
  GitHubRepository,
  GitHubStatusResponse,
  type GitHubLink,
  ProjectsResponse,
  UsersResponse,
} from '../../shared/schemas/index.ts';
import type { Api } from './api-client.ts';
import { TOKEN_USAGE, UsageError } from './args.ts';
import { CLIENT_FLAGS, type ClientFlags, client, get, runSubcommand } from './client-command.ts';

export const GITHUB_CLI_USAGE = `usage: gatehouse github status --server URL
       gatehouse github links  --server URL [--json]
       gatehouse github link   OWNER/NAME --project NAME --server URL
       gatehouse github unlink OWNER/NAME --server URL

status  whether the server runs as a GitHub App (serve --github-app-id …), its app id and GitHub
        API, and the webhook URL to enter in the App's settings.
links   the linked repositories and their projects, as a table (--json: {"links": [...]}, each
        link with its project's name as "project").
link    links a repository to a project (by name or id): GitHub's deployment protection rule
        events from it become requests on the project's environment of the same name.
unlink  removes a repository's link; its runs are refused from then on.

Owners and admins only. Exit codes: 0 done; 1 the server refused (e.g. the repository is linked
already, or you are not an admin) or could not be reached; 2 bad input (flags, a repository that
is not OWNER/NAME, an unknown project, a repository that is not linked).
--allow-insecure-http as for deploy. Setting up the App: docs/github.md.

${TOKEN_USAGE}`;

/** The flags of one subcommand, and its OWNER/NAME operands (only link and unlink take one). */
type Values = ClientFlags & { help?: boolean | undefined; json?: boolean | undefined; project?: string | undefined };

function parse(argv: string[], extra: Record<string, { type: 'string' | 'boolean' }>, operands: 0 | 1) {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...CLIENT_FLAGS, ...extra, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: operands > 0,
    }) as { values: Values; positionals: string[] };
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}\n\n${GITHUB_CLI_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true as const };
  if (positionals.length !== operands) {
    throw new UsageError(
      `${positionals.length === 0 ? 'give the repository as OWNER/NAME' : `one repository at a time, got ${positionals.join(' ')}`}\n\n${GITHUB_CLI_USAGE}`,
    );
  }
  return { help: false as const, values, repository: operands ? repositoryArg(positionals[0]!) : undefined };
}

function repositoryArg(text: string): string {
  const r = GitHubRepository.safeParse(text);
  if (!r.success) throw new UsageError(`"${text}" ${r.error.issues[0]?.message ?? 'is not a repository'}`);
  return r.data;
}

function sameRepository(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

async function projectNames(api: Api): Promise<Map<string, string>> {
  const { projects } = await get(api.call(ProjectsResponse, '/api/projects'));
  return new Map(projects.map((p) => [p.id, p.name]));
}

async function status(argv: string[]): Promise<number> {
  const args = parse(argv, {}, 0);
  if (args.help) return (void console.log(GITHUB_CLI_USAGE), 0);
  const api = client(args.values, GITHUB_CLI_USAGE);
  const s = await get(api.call(GitHubStatusResponse, '/api/integrations/github'));
  const webhook = new URL(s.webhookPath, api.base).toString();
  if (s.configured) {
    console.log(`GitHub App:  configured (app id ${s.appId ?? '?'})`);
    console.log(`GitHub API:  ${s.apiUrl ?? '?'}`);
    console.log(`Webhook URL: ${webhook}`);
  } else {
    console.log('GitHub App:  not configured (serve --github-app-id ID --github-private-key FILE --github-webhook-secret-file FILE)');
    console.log(`Webhook URL: ${webhook} (answers 404 until the server runs as a GitHub App)`);
  }
  // GitHub posts from its own network: an address only this machine knows will not do.
  const host = new URL(api.base).hostname;
  if (host === 'localhost' || host === '[::1]' || /^127\./.test(host)) {
    console.log(`Note: ${host} is this machine; give GitHub the address it reaches this server at, with the same path.`);
  }
  return 0;
}

async function links(argv: string[]): Promise<number> {
  const args = parse(argv, { json: { type: 'boolean' } }, 0);
  if (args.help) return (void console.log(GITHUB_CLI_USAGE), 0);
  const api = client(args.values, GITHUB_CLI_USAGE);
  const [{ links: all }, names, { users }] = await Promise.all([
    get(api.call(GitHubLinksResponse, '/api/integrations/github/links')),
    projectNames(api),
    get(api.call(UsersResponse, '/api/users')),
  ]);
  const sorted = [...all].sort((a, b) => a.repository.toLowerCase().localeCompare(b.repository.toLowerCase()));
  if (args.values.json) {
    console.log(JSON.stringify({ links: sorted.map((l) => ({ ...l, project: names.get(l.projectId) ?? null })) }));
    return 0;
  }
  if (sorted.length === 0) return (void console.log('No repositories linked.'), 0);
  const who = new Map(users.map((u) => [u.id, u.name]));
  const rows = [
    ['REPOSITORY', 'PROJECT', 'LINKED', 'BY'],
    ...sorted.map((l) => [l.repository, names.get(l.projectId) ?? l.projectId, l.createdAt, who.get(l.createdBy) ?? l.createdBy]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
  return 0;
}

async function link(argv: string[]): Promise<number> {
  const args = parse(argv, { project: { type: 'string' } }, 1);
  if (args.help) return (void console.log(GITHUB_CLI_USAGE), 0);
  const projectArg = args.values.project;
  if (typeof projectArg !== 'string' || projectArg.trim() === '') throw new UsageError(`--project is required\n\n${GITHUB_CLI_USAGE}`);
  const api = client(args.values, GITHUB_CLI_USAGE);
  const { projects } = await get(api.call(ProjectsResponse, '/api/projects'));
  const wanted = projectArg.trim();
  const project =
    projects.find((p) => p.id === wanted) ?? projects.find((p) => p.name === wanted) ?? projects.find((p) => p.name.toLowerCase() === wanted.toLowerCase());
  if (!project) throw new UsageError(`no project "${wanted}" (known: ${projects.map((p) => p.name).join(', ') || 'none'})`);
  const made = await get(
    api.call(GitHubLinkResponse, '/api/integrations/github/links', { method: 'POST', body: { repository: args.repository, projectId: project.id } }),
  );
  console.log(`Linked ${made.link.repository} to project ${project.name}`);
  return 0;
}

async function unlink(argv: string[]): Promise<number> {
  const args = parse(argv, {}, 1);
  if (args.help) return (void console.log(GITHUB_CLI_USAGE), 0);
  const api = client(args.values, GITHUB_CLI_USAGE);
  const { links: all } = await get(api.call(GitHubLinksResponse, '/api/integrations/github/links'));
  const found: GitHubLink | undefined = all.find((l) => sameRepository(l.repository, args.repository!));
  if (!found) throw new UsageError(`${args.repository} is not linked (linked: ${all.map((l) => l.repository).join(', ') || 'none'})`);
  const gone = await get(api.call(GitHubLinkResponse, `/api/integrations/github/links/${encodeURIComponent(found.id)}`, { method: 'DELETE' }));
  const names = await projectNames(api).catch(() => new Map<string, string>());
  console.log(`Unlinked ${gone.link.repository} from project ${names.get(gone.link.projectId) ?? gone.link.projectId}`);
  return 0;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = { status, links, link, unlink };

export async function github(argv: string[]): Promise<number> {
  return runSubcommand('github', SUBCOMMANDS, GITHUB_CLI_USAGE, argv);
}
