// The policies-as-code file (docs/policies-as-code.md): a YAML document of policies by name, where
// every id of the API is written as a name (users by email, teams, projects, clusters and
// environments by name). Strict: an unknown key is an error, with its path and YAML line.
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { Action, MAX_ESCALATION_MINUTES, MAX_RULE_CHARS, MAX_RULES, RoleName, RuleOutcome, StrictConditions } from '../../shared/schemas/index.ts';
import { UsageError } from './args.ts';

export const API_VERSION = 'gatehouse/v1';

const Name = z.string().trim().min(1).max(200);
const Email = z.email().max(320);

const FileApprovers = z.strictObject({
  users: z.array(Email).default([]),
  teams: z.array(Name).default([]),
  orgRoles: z.array(RoleName).default([]),
});
export type FileApprovers = z.infer<typeof FileApprovers>;

const FileQuorum = z.strictObject({
  minApprovals: z.number().int().min(0).max(1000).default(1),
  minDistinctTeams: z.number().int().min(0).max(1000).default(0),
  requiredUsers: z.array(Email).default([]),
  requiredTeams: z.array(Name).default([]),
  requiredOrgRoles: z.array(RoleName).default([]),
});
export type FileQuorum = z.infer<typeof FileQuorum>;

const FileRule = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    when: z.string().trim().min(1).max(MAX_RULE_CHARS),
    outcome: RuleOutcome,
    message: z.string().max(500).optional(),
    quorum: FileQuorum.optional(),
  })
  .refine((r) => r.quorum === undefined || r.outcome === 'pending', { message: 'quorum is only allowed on a pending rule', path: ['quorum'] });
export type FileRule = z.infer<typeof FileRule>;

/** Where a policy applies. `target` names the project or cluster, or the environment as "project/environment". */
export const FileBinding = z
  .strictObject({ scope: z.enum(['organization', 'project', 'cluster', 'environment']), target: Name.optional() })
  .refine((b) => (b.scope === 'organization') === (b.target === undefined), {
    message: 'target is required for project, cluster and environment bindings, and not allowed for organization ones',
    path: ['target'],
  })
  .refine((b) => b.scope !== 'environment' || /^[^/]+\/[^/]+$/.test(b.target ?? ''), {
    message: 'an environment is written "project/environment"',
    path: ['target'],
  });
export type FileBinding = z.infer<typeof FileBinding>;

export const FilePolicy = z.strictObject({
  name: Name,
  description: z.string().max(2000).default(''),
  actions: z.array(Action).min(1).max(100),
  approvers: FileApprovers,
  quorum: FileQuorum,
  conditions: StrictConditions.default({}),
  requesterCanApprove: z.boolean().default(false),
  adminBypass: z.boolean().default(false),
  rules: z.array(FileRule).max(MAX_RULES).default([]),
  escalation: z.strictObject({ afterMinutes: z.number().int().min(1).max(MAX_ESCALATION_MINUTES), approvers: FileApprovers }).optional(),
  bindings: z.array(FileBinding).max(100).default([]),
});
export type FilePolicy = z.infer<typeof FilePolicy>;

export const PoliciesFile = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('Policies'),
    policies: z.array(FilePolicy).default([]),
  })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.policies.forEach((p, i) => {
      if (seen.has(p.name.toLowerCase())) ctx.addIssue({ code: 'custom', message: `a second policy named "${p.name}"`, path: ['policies', i, 'name'] });
      seen.add(p.name.toLowerCase());
      const bound = new Set<string>();
      p.bindings.forEach((b, j) => {
        const key = `${b.scope} ${b.target?.toLowerCase() ?? ''}`;
        if (bound.has(key))
          ctx.addIssue({ code: 'custom', message: `bound twice to ${b.scope}${b.target ? ` ${b.target}` : ''}`, path: ['policies', i, 'bindings', j] });
        bound.add(key);
      });
    });
  });
export type PoliciesFile = z.infer<typeof PoliciesFile>;

/** The input is wrong (file, flags, names): exit code 2. */
export class BadInput extends UsageError {}

/**
 * Parses a YAML document against `schema`. Errors name the file, the YAML line and the path of
 * the offending key, e.g. `policies.yaml:12: policies[0].quorum: unrecognized key "minAprovals"`.
 */
export function parseYamlFile<S extends z.ZodType>(text: string, file: string, schema: S): z.infer<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number | undefined) => (offset === undefined ? '' : `:${lineCounter.linePos(offset).line}`);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new BadInput(`${file}${lineAt(e.pos[0])}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const parsed = schema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.slice(0, 10).map((issue) => {
    const path = issue.path as (string | number)[];
    // An unknown key is reported on its object: point at the key itself.
    const keyPath = issue.code === 'unrecognized_keys' && issue.keys.length > 0 ? [...path, issue.keys[0]!] : path;
    return `${file}${lineAt(nodeOffset(doc, keyPath))}: ${pathText(path) || '(top level)'}: ${issue.message}`;
  });
  throw new BadInput(lines.join('\n'));
}

function nodeOffset(doc: ReturnType<typeof parseDocument>, path: (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = (node as { range?: [number] } | null)?.range?.[0];
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      offset = (node as { range?: [number] } | undefined)?.range?.[0] ?? offset;
    } else break;
  }
  return offset;
}

function pathText(path: readonly (string | number)[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}
