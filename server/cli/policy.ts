// `gatehouse policy export | apply | test`: policies as code (docs/policies-as-code.md). The file
// names everything by name; export writes it, apply makes the server match it, test judges
// cases against it with the shared engine, offline.
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { ruleIssues } from '../../shared/policy/index.ts';
import {
  BindingResponse,
  BindingsResponse,
  ClustersResponse,
  EnvironmentsResponse,
  PoliciesResponse,
  PolicyResponse,
  ProjectsResponse,
  TeamsResponse,
  UsersResponse,
} from '../../shared/schemas/index.ts';
import type { Api } from './api-client.ts';
import { parseFlags, required, TOKEN_USAGE } from './args.ts';
import { CLIENT_FLAGS, type ClientFlags, client as clientFor, get, runSubcommand, ServerRefused } from './client-command.ts';
import { CasesFile, directoryFromFile, runCases } from './policy-cases.ts';
import { API_VERSION, BadInput, PoliciesFile, parseYamlFile } from './policy-file.ts';
import { compareText, type Directory, policyToFile, resolvePolicies } from './policy-names.ts';
import { planApply, type Step, stepLine } from './policy-plan.ts';

export const POLICY_USAGE = `usage: gatehouse policy export --server URL [-o FILE]
       gatehouse policy apply  --server URL -f FILE [--dry-run]
       gatehouse policy test   -f FILE --cases FILE [--server URL]

export  writes every policy and its bindings as YAML, by name (stdout, or -o FILE).
apply   creates, updates (only the changed fields) and deletes policies, matched by name, and
        adds and removes bindings, so the server holds what FILE says; prints the plan first.
        --dry-run prints the plan and changes nothing. Policies missing from FILE are deleted.
test    judges each case of the cases file against FILE's policies, locally with the engine the
        server runs; prints "ok" or "FAIL" per case. The directory (users, teams, projects,
        environments) is the cases file's "directory:", or else the one of --server.

Exit codes: 0 done (test: every case as expected); 1 a server error or a failed case;
2 bad input (flags, YAML, a name that does not resolve). --allow-insecure-http as for deploy.
The file format: docs/policies-as-code.md.

${TOKEN_USAGE}`;

const client = (flags: ClientFlags) => clientFor(flags, POLICY_USAGE);

async function fetchDirectory(api: Api): Promise<Directory> {
  const [users, teams, projects, clusters, environments] = await Promise.all([
    get(api.call(UsersResponse, '/api/users')),
    get(api.call(TeamsResponse, '/api/teams')),
    get(api.call(ProjectsResponse, '/api/projects')),
    get(api.call(ClustersResponse, '/api/clusters')),
    get(api.call(EnvironmentsResponse, '/api/environments')),
  ]);
  return { users: users.users, teams: teams.teams, projects: projects.projects, clusters: clusters.clusters, environments: environments.environments };
}

async function fetchPolicies(api: Api) {
  const [policies, bindings] = await Promise.all([get(api.call(PoliciesResponse, '/api/policies')), get(api.call(BindingsResponse, '/api/bindings'))]);
  const seen = new Map<string, string>();
  for (const p of policies.policies) {
    const other = seen.get(p.name.toLowerCase());
    if (other !== undefined)
      throw new BadInput(`the server holds two policies named "${p.name}" (${other} and ${p.id}): rename one first, a file names policies by name`);
    seen.set(p.name.toLowerCase(), p.id);
  }
  return { policies: policies.policies, bindings: bindings.bindings };
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BadInput(`cannot read ${flag} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message}`);
  }
}

/** Each rule of the file that does not compile, with its position: the server would refuse it (400 invalid_rule). */
function ruleProblems(file: PoliciesFile): string[] {
  return file.policies.flatMap((p) =>
    ruleIssues(p.rules.map(({ name, when, outcome }) => ({ name, when, outcome }))).map(
      (r) => `policy "${p.name}", rule "${r.rule}": ${r.message}${r.position !== undefined ? ` (at position ${r.position})` : ''}`,
    ),
  );
}

async function exportPolicies(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...CLIENT_FLAGS, output: { type: 'string', short: 'o' } }, POLICY_USAGE);
  if (flags.help) return (void console.log(POLICY_USAGE), 0);
  const api = client(flags);
  const [dir, saved] = await Promise.all([fetchDirectory(api), fetchPolicies(api)]);
  const policies = [...saved.policies].sort((a, b) => compareText(a.name, b.name)).map((p) => policyToFile(p, saved.bindings, dir));
  const text = stringify({ apiVersion: API_VERSION, kind: 'Policies', policies }, { lineWidth: 0 });
  if (flags.output === undefined) process.stdout.write(text);
  else {
    try {
      writeFileSync(flags.output, text);
    } catch (err) {
      throw new BadInput(`cannot write -o ${flags.output}: ${(err as Error).message}`);
    }
    console.error(`Wrote ${policies.length} ${policies.length === 1 ? 'policy' : 'policies'} to ${flags.output}`);
  }
  return 0;
}

async function runStep(api: Api, step: Step, ids: Map<string, string>): Promise<void> {
  switch (step.kind) {
    case 'create': {
      const made = await get(api.call(PolicyResponse, '/api/policies', { method: 'POST', body: step.body }));
      ids.set(step.name.toLowerCase(), made.policy.id);
      return;
    }
    case 'update':
      await get(api.call(PolicyResponse, `/api/policies/${step.id}`, { method: 'PATCH', body: step.patch }));
      return;
    case 'bind':
      await get(
        api.call(BindingResponse, '/api/bindings', {
          method: 'POST',
          body: { policyId: ids.get(step.name.toLowerCase()), scope: step.scope, ...(step.targetId !== undefined ? { targetId: step.targetId } : {}) },
        }),
      );
      return;
    case 'unbind':
      await get(api.call(BindingResponse, `/api/bindings/${step.bindingId}`, { method: 'DELETE' }));
      return;
    case 'delete':
      await get(api.call(PolicyResponse, `/api/policies/${step.id}`, { method: 'DELETE' }));
      return;
  }
}

async function applyPolicies(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...CLIENT_FLAGS, file: { type: 'string', short: 'f' }, 'dry-run': { type: 'boolean' } }, POLICY_USAGE);
  if (flags.help) return (void console.log(POLICY_USAGE), 0);
  const file = required(flags, 'file', POLICY_USAGE);
  const wanted = parseYamlFile(readText(file, '-f'), file, PoliciesFile);
  // Checked before anything is sent, so a bad rule never leaves the server half applied.
  const badRules = ruleProblems(wanted);
  if (badRules.length > 0) {
    console.error(`error: rules that do not compile (the server refuses them: invalid_rule); nothing was applied:\n  ${badRules.join('\n  ')}`);
    return 1;
  }
  const api = client(flags);
  const [dir, saved] = await Promise.all([fetchDirectory(api), fetchPolicies(api)]);
  const steps = planApply(resolvePolicies(wanted.policies, dir), saved, dir);
  if (steps.length === 0) return (void console.log('No changes.'), 0);
  for (const s of steps) console.log(stepLine(s));
  if (flags['dry-run']) {
    console.log(`Dry run: ${steps.length} ${steps.length === 1 ? 'change' : 'changes'} planned, nothing applied.`);
    return 0;
  }
  const ids = new Map(saved.policies.map((p) => [p.name.toLowerCase(), p.id]));
  for (const [i, step] of steps.entries()) {
    try {
      await runStep(api, step, ids);
    } catch (err) {
      if (!(err instanceof ServerRefused)) throw err;
      console.error(`error: ${stepLine(step)} failed: ${err.lines().join('\n')}`);
      console.error(
        i === 0
          ? 'Nothing was applied.'
          : `Applied before the failure (${i} of ${steps.length}):\n${steps
              .slice(0, i)
              .map((s) => `  ${stepLine(s)}`)
              .join('\n')}`,
      );
      console.error(`Not applied: ${steps.length - i} ${steps.length - i === 1 ? 'step' : 'steps'} (this one and the rest).`);
      return 1;
    }
  }
  console.log(`Applied ${steps.length} ${steps.length === 1 ? 'change' : 'changes'}.`);
  return 0;
}

async function testPolicies(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...CLIENT_FLAGS, file: { type: 'string', short: 'f' }, cases: { type: 'string' } }, POLICY_USAGE);
  if (flags.help) return (void console.log(POLICY_USAGE), 0);
  const file = required(flags, 'file', POLICY_USAGE);
  const casesFile = required(flags, 'cases', POLICY_USAGE);
  const policies = parseYamlFile(readText(file, '-f'), file, PoliciesFile);
  const cases = parseYamlFile(readText(casesFile, '--cases'), casesFile, CasesFile);
  const badRules = ruleProblems(policies);
  if (badRules.length > 0) throw new BadInput(`${file}: rules that do not compile:\n  ${badRules.join('\n  ')}`);
  if (cases.directory !== undefined && flags.server !== undefined) throw new BadInput(`give --server or a directory: in ${casesFile}, not both`);
  const dir = cases.directory !== undefined ? directoryFromFile(cases.directory) : await fetchDirectory(client(flags));
  const verdicts = runCases(cases, resolvePolicies(policies.policies, dir), dir);
  for (const v of verdicts) {
    console.log(`${v.ok ? 'ok  ' : 'FAIL'}  ${v.name}`);
    for (const p of v.problems) console.log(`        ${p}`);
  }
  const failed = verdicts.filter((v) => !v.ok).length;
  console.log(failed === 0 ? `PASS: ${verdicts.length}/${verdicts.length}` : `FAIL: ${failed} of ${verdicts.length} failed`);
  return failed === 0 ? 0 : 1;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = { export: exportPolicies, apply: applyPolicies, test: testPolicies };

export async function policy(argv: string[]): Promise<number> {
  return runSubcommand('policy', SUBCOMMANDS, POLICY_USAGE, argv);
}
