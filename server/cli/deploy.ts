import { readFileSync } from 'node:fs';
import {
  type ApprovalRequest,
  EnvironmentsResponse,
  ProjectsResponse,
  RequestDetailResponse,
  RequestResponse,
  SettingsResponse,
  UsersResponse,
} from '../../shared/schemas/index.ts';
import { serverUrlProblem } from '../../shared/transport.ts';
import { requestLinks } from '../notify/notices.ts';
import { Api, type ApiError } from './api-client.ts';
import { parseDuration, parseFlags, required, resolveToken, TOKEN_USAGE, UsageError } from './args.ts';

export const DEPLOY_USAGE = `usage: gatehouse deploy --server URL (--token-file FILE | --token T) --project P --env E --revision R
                       [--diff-file F] [--reason TEXT] [--wait [--timeout S]] [--json]
                       [--allow-insecure-http]

Requests a deployment (action release.deploy) of revision R to environment E of project P
(names or ids). Prints "Deployment dep_<id> created (pending approval)" or "(approved)".
Exit codes: 0 created (or, with --wait, approved); 1 error, or rejected/cancelled/expired;
2 --wait timed out (default 3600 s); 3 the environment is locked. URL is https://, or http:// to
this machine (127.0.0.0/8, ::1, localhost); plain http to another host needs
--allow-insecure-http (the token would cross the network in clear).

--json prints one JSON object on stdout when the command ends, and nothing else there (the lines
above go to stderr): {"status", "exitCode", "id"?, "requestId"?, "url"?, "approvals"?, "reason"?,
"progress"?, "code"?}. status is pending or approved (created; without --wait), approved,
rejected, cancelled, expired, timed_out, locked, refused (a policy denied it) or error;
exitCode is the command's exit code. For pipelines: gatehouse deploy … --wait --json | jq -r .status

${TOKEN_USAGE}`;

const shownId = (id: string) => id.replace(/^req_/, 'dep_');

/** The one object `--json` prints: what a pipeline branches on, and why. */
export interface DeployOutcome {
  status: ApprovalRequest['status'] | 'timed_out' | 'locked' | 'refused' | 'error';
  exitCode: number;
  /** The id as the human output shows it (dep_…); `requestId` is the API's (req_…). */
  id?: string;
  requestId?: string;
  /** The request in the web console (settings' publicUrl), else in the desktop app. */
  url?: string;
  approvals?: { by: string; at: string; comment?: string }[];
  reason?: string;
  /** While pending (and on timed_out): what it still needs. */
  progress?: string;
  /** The server's error code (locked, refused, error). */
  code?: string;
}

/** Exit codes: unchanged by --json. */
const EXIT = { done: 0, failed: 1, timedOut: 2, locked: 3 } as const;

export async function deploy(argv: string[]): Promise<number> {
  // Known before the flags are parsed, so a bad flag still ends in one JSON object.
  const json = argv.includes('--json');
  try {
    return await run(argv);
  } catch (err) {
    if (!json || !(err instanceof UsageError)) throw err;
    console.error(`error: ${err.message}`);
    emit({ status: 'error', exitCode: EXIT.failed, reason: err.message.split('\n\n', 1)[0]! });
    return EXIT.failed;
  }
}

function emit(outcome: DeployOutcome): void {
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}

async function run(argv: string[]): Promise<number> {
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
      json: { type: 'boolean' },
      'allow-insecure-http': { type: 'boolean' },
    },
    DEPLOY_USAGE,
  );
  if (flags.help) return (void console.log(DEPLOY_USAGE), 0);
  const json = flags.json === true;
  // With --json, stdout holds the one object: the human lines go to stderr.
  const say = json ? (line: string) => console.error(line) : (line: string) => console.log(line);
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

  const fail = (r: { status: number; error?: ApiError }, request?: ApprovalRequest) => {
    const message = r.error?.message ?? `HTTP ${r.status}`;
    console.error(`Error: ${message}`);
    const exitCode = r.status === 423 ? EXIT.locked : EXIT.failed;
    if (json) {
      emit({
        status: r.status === 423 ? 'locked' : r.status === 422 ? 'refused' : 'error',
        exitCode,
        ...(request ? { id: shownId(request.id), requestId: request.id } : {}),
        reason: message,
        ...(r.error?.code ? { code: r.error.code } : {}),
      });
    }
    return exitCode;
  };

  /** The object for a request as it now stands; names and the console link are looked up once, at the end. */
  const finish = async (request: ApprovalRequest, exitCode: number, extra: Partial<DeployOutcome> = {}): Promise<number> => {
    if (!json) return exitCode;
    const [users, settings] = await Promise.all([api.call(UsersResponse, '/api/users'), api.call(SettingsResponse, '/api/settings')]);
    const name = (id: string) => users.data?.users.find((u) => u.id === id)?.name ?? id;
    const links = settings.data ? requestLinks(settings.data.settings, request.id) : undefined;
    emit({
      id: shownId(request.id),
      requestId: request.id,
      status: request.status,
      ...(links ? { url: links.web ?? links.app } : {}),
      approvals: request.decisions
        .filter((d) => d.kind === 'approve')
        .map((d) => ({ by: name(d.userId), at: d.at, ...(d.comment ? { comment: d.comment } : {}) })),
      ...endReason(request, name),
      ...extra,
      exitCode,
    });
    return exitCode;
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
  say(`Deployment ${shownId(request.id)} created (${request.status === 'pending' ? 'pending approval' : request.status})`);
  if (!flags.wait || request.status !== 'pending') {
    const code = request.status === 'approved' || !flags.wait ? EXIT.done : EXIT.failed;
    if (!json || request.status !== 'pending') return finish(request, code);
    const detail = await api.call(RequestDetailResponse, `/api/requests/${request.id}`);
    return finish(request, code, detail.data ? { progress: detail.data.progress.summary } : {});
  }

  const deadline = performance.now() + timeoutMs;
  let lastSummary = '';
  let latest = request;
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, deadline - performance.now()))));
    const detail = await api.call(RequestDetailResponse, `/api/requests/${request.id}`);
    if (!detail.data) return fail(detail, latest);
    const { request: now, progress } = detail.data;
    latest = now;
    if (now.status !== 'pending') {
      say(`Deployment ${shownId(now.id)} ${now.status}`);
      return finish(now, now.status === 'approved' ? EXIT.done : EXIT.failed);
    }
    if (progress.summary !== lastSummary) console.error(`waiting: ${(lastSummary = progress.summary)}`);
  }
  const reason = `still pending after ${Math.round(timeoutMs / 1000)} s`;
  console.error(`Deployment ${shownId(request.id)} ${reason}`);
  return finish(latest, EXIT.timedOut, { status: 'timed_out', reason, ...(lastSummary ? { progress: lastSummary } : {}) });
}

/** Why a request ended as it did, in words a pipeline log can show. */
function endReason(request: ApprovalRequest, name: (id: string) => string): Pick<DeployOutcome, 'reason'> {
  switch (request.status) {
    case 'rejected': {
      const last = request.decisions.findLast((d) => d.kind === 'reject');
      if (!last) return { reason: 'rejected by a content rule of its policies' };
      return { reason: `rejected by ${name(last.userId)}${last.comment ? `: ${last.comment}` : ''}` };
    }
    case 'cancelled':
      return { reason: 'cancelled' };
    case 'expired':
      return { reason: `not approved before ${request.expiresAt}` };
    default:
      return {};
  }
}
