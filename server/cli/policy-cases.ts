// `policy test`: each case an input and the outcome the file's policies must give it, judged
// locally by the shared engine (the same evaluateAction the server runs) — like `opa test`.
import { z } from 'zod';
import { checkResource, evaluateAction } from '../../shared/policy/index.ts';
import {
  Action,
  CreateRequestBody,
  IsoTime,
  ORG_ROLES,
  Policy,
  Protection,
  RoleName,
  type Binding,
  type Environment,
  type Resource,
} from '../../shared/schemas/index.ts';
import { requestContent } from '../../shared/policy/request-content.ts';
import { BadInput } from './policy-file.ts';
import type { Directory, ResolvedPolicy } from './policy-names.ts';

const Name = z.string().trim().min(1).max(200);

/** An org written by name, so a cases file can be tested with no server at all. */
const FileDirectory = z.strictObject({
  teams: z.array(Name).default([]),
  clusters: z.array(Name).default([]),
  users: z
    .array(
      z.strictObject({
        email: z.email(),
        name: Name.optional(),
        orgRole: z.enum(ORG_ROLES).default('member'),
        roles: z.array(RoleName).default([]),
        teams: z.array(Name).default([]),
      }),
    )
    .default([]),
  projects: z
    .array(
      z.strictObject({
        name: Name,
        environments: z.array(z.strictObject({ name: Name, protection: Protection.default('none'), cluster: Name.optional() })).default([]),
      }),
    )
    .default([]),
});

const Case = z.strictObject({
  name: Name,
  input: z.strictObject({
    action: Action,
    project: Name.optional(),
    environment: Name.optional(),
    cluster: Name.optional(),
    requester: z.email(),
    justification: z.string().max(10_000).optional(),
    payload: CreateRequestBody.shape.payload,
    now: IsoTime.optional(),
  }),
  expect: z.enum(['deny', 'pending', 'warn', 'allow']),
  /** Found (as written, case-insensitively) in the deny message, a violation or a warning. */
  expectMessage: z.string().min(1).optional(),
  /** The names of the gates left to satisfy, in any order. */
  expectGates: z.array(z.string()).optional(),
});
type Case = z.infer<typeof Case>;

export const CasesFile = z
  .strictObject({
    /** The instant of every case that gives none: never the wall clock, so a test means the same every day. */
    now: IsoTime.optional(),
    directory: FileDirectory.optional(),
    cases: z.array(Case).min(1),
  })
  .superRefine((f, ctx) => {
    f.cases.forEach((c, i) => {
      if (c.input.now === undefined && f.now === undefined)
        ctx.addIssue({ code: 'custom', message: 'no `now`: give input.now or a top-level now', path: ['cases', i, 'input'] });
    });
  });
export type CasesFile = z.infer<typeof CasesFile>;

/** The cases file's own directory, with ids made from the names (nothing outside the file sees them). */
export function directoryFromFile(d: z.infer<typeof FileDirectory>): Directory {
  const teams = d.teams.map((name) => ({ id: `team:${name}`, name }));
  const clusters = d.clusters.map((name) => ({ id: `cluster:${name}`, name }));
  const teamId = (name: string) => {
    const t = teams.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!t) throw new BadInput(`directory: no team "${name}" in directory.teams`);
    return t.id;
  };
  const clusterId = (name: string) => {
    const c = clusters.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!c) throw new BadInput(`directory: no cluster "${name}" in directory.clusters`);
    return c.id;
  };
  const users = d.users.map((u) => ({
    id: `user:${u.email}`,
    name: u.name ?? u.email,
    email: u.email,
    orgRole: u.orgRole,
    roles: u.roles,
    teamIds: u.teams.map(teamId),
    active: true,
  }));
  const projects = d.projects.map((p) => ({ id: `project:${p.name}`, name: p.name }));
  const environments: Environment[] = d.projects.flatMap((p) =>
    p.environments.map((e) => ({
      id: `environment:${p.name}/${e.name}`,
      projectId: `project:${p.name}`,
      ...(e.cluster !== undefined ? { clusterId: clusterId(e.cluster) } : {}),
      name: e.name,
      protection: e.protection,
      reviewers: { userIds: [], teamIds: [] },
    })),
  );
  return { users, teams, projects, clusters, environments };
}

export interface CaseVerdict {
  name: string;
  ok: boolean;
  /** Why it failed: what was expected against what the policies gave. */
  problems: string[];
}

const byName = <T extends { name: string }>(list: readonly T[], name: string) => list.find((x) => x.name.toLowerCase() === name.toLowerCase());

export function runCases(file: CasesFile, policies: readonly ResolvedPolicy[], dir: Directory): CaseVerdict[] {
  const saved = policies.map((p, i) => Policy.parse({ ...p.body, id: `policy:${i}` }));
  const bindings: Binding[] = policies.flatMap((p, i) => p.bindings.map((b, j) => ({ id: `binding:${i}:${j}`, policyId: `policy:${i}`, ...b })));
  return file.cases.map((c) => judge(c, file.now, saved, bindings, dir));
}

function judge(c: Case, defaultNow: string | undefined, policies: Policy[], bindings: Binding[], dir: Directory): CaseVerdict {
  const where = `case "${c.name}"`;
  const requester = dir.users.find((u) => u.email.toLowerCase() === c.input.requester.toLowerCase());
  if (!requester) throw new BadInput(`${where}: no user with email "${c.input.requester}"`);
  const resource: Resource = {};
  let environment: Environment | undefined;
  if (c.input.project !== undefined) {
    const p = byName(dir.projects, c.input.project);
    if (!p) throw new BadInput(`${where}: no project "${c.input.project}"`);
    resource.projectId = p.id;
  }
  if (c.input.cluster !== undefined) {
    const k = byName(dir.clusters, c.input.cluster);
    if (!k) throw new BadInput(`${where}: no cluster "${c.input.cluster}"`);
    resource.clusterId = k.id;
  }
  if (c.input.environment !== undefined) {
    const named = dir.environments.filter(
      (e) => e.name.toLowerCase() === c.input.environment!.toLowerCase() && (resource.projectId === undefined || e.projectId === resource.projectId),
    );
    if (named.length === 0) throw new BadInput(`${where}: no environment "${c.input.environment}"${c.input.project ? ` in project ${c.input.project}` : ''}`);
    if (named.length > 1) throw new BadInput(`${where}: environment "${c.input.environment}" is in several projects: name the project too`);
    environment = named[0]!;
    resource.environmentId = environment.id;
  }
  const checked = checkResource(c.input.action, resource, environment);
  if (!checked.ok) throw new BadInput(`${where}: ${checked.message}`);
  const ev = evaluateAction({
    action: c.input.action,
    resource: checked.resource,
    requester,
    justification: c.input.justification ?? '',
    now: new Date(c.input.now ?? defaultNow!),
    ...(environment ? { environment } : {}),
    policies,
    bindings,
    environments: dir.environments,
    breakGlassSessions: [],
    content: requestContent(c.input.payload),
    directory: dir,
  });
  const problems: string[] = [];
  if (ev.outcome !== c.expect) problems.push(`expected ${c.expect}, got ${ev.outcome}${ev.deny ? `: ${ev.deny.message}` : ''}`);
  if (c.expectMessage !== undefined) {
    const said = [...(ev.deny ? [ev.deny.message, ...(ev.deny.details ?? []).map((d) => d.message)] : []), ...ev.warnings];
    if (!said.some((s) => s.toLowerCase().includes(c.expectMessage!.toLowerCase()))) {
      problems.push(`expected a message with "${c.expectMessage}", got ${said.length === 0 ? 'none' : said.map((s) => JSON.stringify(s)).join(', ')}`);
    }
  }
  if (c.expectGates !== undefined) {
    const got = ev.gates.map((g) => g.name).sort();
    const want = [...c.expectGates].sort();
    if (got.join('\n').toLowerCase() !== want.join('\n').toLowerCase()) problems.push(`expected gates [${want.join(', ')}], got [${got.join(', ')}]`);
  }
  return { name: c.name, ok: problems.length === 0, problems };
}
