import { readFileSync } from 'node:fs';
import { EnvironmentsResponse, ProjectsResponse, RequestDetailResponse, RequestResponse } from '../../shared/schemas/index.ts';
import { serverUrlProblem } from '../../shared/transport.ts';
import { Api } from './api-client.ts';
import { parseDuration, parseFlags, required, resolveToken, TOKEN_USAGE, UsageError } from './args.ts';

export const DEPLOY_USAGE = `usage: gatehouse deploy --server URL (--token-file FILE | --token T) --project P --env E --revision R
                       [--diff-file F] [--reason TEXT] [--wait [--timeout S]]
                       [--allow-insecure-http]

Requests a deployment (action release.deploy) of revision R to environment E of project P
(names or ids). Prints "Deployment dep_<id> created (pending approval)" or "(approved)".
Exit codes: 0 created (or, with --wait, approved); 1 error, or rejected/cancelled/expired;
2 --wait timed out (default 3600 s); 3 the environment is locked. URL is https://, or http:// to
this machine (127.0.0.0/8, ::1, localhost); plain http to another host needs
--allow-insecure-http (the token would cross the network in clear).

${TOKEN_USAGE}`;

const shownId = (id: string) => id.replace(/^req_/, 'dep_');

export async function deploy(argv: string[]): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      server: { type: 'string' },
      token: { type: 'string' },
      'token-file': { type: 'string' },
      project: { type: 'string' },
      env: { type: 'string' },
      revision: { type: 'string' },
      'diff-file': { type: 'string' },
      reason: { type: 'string' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      'allow-insecure-http': { type: 'boolean' },
    },
    DEPLOY_USAGE,
  );
  if (flags.help) return (void console.log(DEPLOY_USAGE), 0);
  const server = required(flags, 'server', DEPLOY_USAGE);
  const problem = serverUrlProblem(server, { allowInsecureHttp: flags['allow-insecure-http'] === true });
  if (problem) throw new UsageError(`--server: ${problem}`);
  const api = new Api(server, resolveToken(flags));
  const projectArg = required(flags, 'project', DEPLOY_USAGE);
  const envArg = required(flags, 'env', DEPLOY_USAGE);
  const revision = required(flags, 'revision', DEPLOY_USAGE);
  if (flags.timeout !== undefined && !flags.wait) throw new UsageError('--timeout only makes sense with --wait');
  const timeoutMs = flags.timeout ? parseDuration(flags.timeout, '--timeout') : 3600_000;
  let diff: string | undefined;
  if (flags['diff-file']) {
    try {
      diff = readFileSync(flags['diff-file'], 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --diff-file: ${(err as Error).message}`);
    }
  }

  const fail = (r: { status: number; error?: { message: string } }) => {
    console.error(`Error: ${r.error?.message ?? `HTTP ${r.status}`}`);
    return r.status === 423 ? 3 : 1;
  };

  const projects = await api.call(ProjectsResponse, '/api/projects');
  if (!projects.data) return fail(projects);
  const project = projects.data.projects.find((p) => p.id === projectArg) ?? projects.data.projects.find((p) => p.name === projectArg);
  if (!project) throw new UsageError(`no project "${projectArg}" (known: ${projects.data.projects.map((p) => p.name).join(', ') || 'none'})`);
  const envs = await api.call(EnvironmentsResponse, '/api/environments');
  if (!envs.data) return fail(envs);
  const inProject = envs.data.environments.filter((e) => e.projectId === project.id);
  const env = inProject.find((e) => e.id === envArg) ?? inProject.find((e) => e.name === envArg);
  if (!env) throw new UsageError(`no environment "${envArg}" in project ${project.name} (known: ${inProject.map((e) => e.name).join(', ') || 'none'})`);

  const created = await api.call(RequestResponse, '/api/requests', {
    method: 'POST',
    body: {
      action: 'release.deploy',
      resource: { projectId: project.id, environmentId: env.id },
      ...(flags.reason !== undefined ? { justification: flags.reason } : {}),
      payload: { revision, ...(diff !== undefined ? { diff } : {}) },
    },
  });
  if (!created.data) return fail(created);
  const request = created.data.request;
  console.log(`Deployment ${shownId(request.id)} created (${request.status === 'pending' ? 'pending approval' : request.status})`);
  if (!flags.wait || request.status !== 'pending') return request.status === 'approved' || !flags.wait ? 0 : 1;

  const deadline = performance.now() + timeoutMs;
  let lastSummary = '';
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, deadline - performance.now()))));
    const detail = await api.call(RequestDetailResponse, `/api/requests/${request.id}`);
    if (!detail.data) return fail(detail);
    const { request: now, progress } = detail.data;
    if (now.status !== 'pending') {
      console.log(`Deployment ${shownId(now.id)} ${now.status}`);
      return now.status === 'approved' ? 0 : 1;
    }
    if (progress.summary !== lastSummary) console.error(`waiting: ${(lastSummary = progress.summary)}`);
  }
  console.error(`Deployment ${shownId(request.id)} still pending after ${Math.round(timeoutMs / 1000)} s`);
  return 2;
}
