// policies.* and bindings.*: owners and admins change the rules on the server (online only). Each
// answer is written to the cache at once and announced, so the Policies screen shows the change
// without waiting for the next sync round trip (which brings the same rows again, harmlessly).
import { randomUUID } from 'node:crypto';
import type { FieldIssue, Handlers } from '../../../shared/ipc.ts';
import type { SyncChange, SyncEntity } from '../../../shared/schemas/index.ts';
import type { Cache } from '../cache/index.ts';
import { ApiError } from '../client/index.ts';
import type { Connection } from '../connection/index.ts';

export interface PolicyDeps {
  cache: Cache;
  connection: Pick<Connection, 'online'>;
  /** Tells the console the cache changed (the `cache.changed` event). */
  changed: (entities: SyncEntity[], cursor: number) => void;
}

type PolicyChannels = 'policies.save' | 'policies.delete' | 'bindings.create' | 'bindings.delete';

/**
 * The server's zod-style issues (`path` as an array or a dotted string) as field paths. An
 * invalid_rule issue names its rule instead (`{rule, message, position?}`): it is put on that
 * rule's `when`, found by name in the rules that were sent.
 */
export function fieldIssues(details: unknown, rules: readonly { name: string }[] = []): FieldIssue[] {
  if (!Array.isArray(details)) return [];
  const issues: FieldIssue[] = [];
  for (const d of details) {
    const { path, message, rule, position } = (d ?? {}) as { path?: unknown; message?: unknown; rule?: unknown; position?: unknown };
    if (typeof message !== 'string') continue;
    if (typeof rule === 'string' && path === undefined) {
      const index = rules.findIndex((r) => r.name.trim() === rule.trim());
      const at = typeof position === 'number' ? ` (at position ${position})` : '';
      issues.push(index === -1 ? { path: 'rules', message: `rule "${rule}": ${message}${at}` } : { path: `rules.${index}.when`, message: `${message}${at}` });
      continue;
    }
    const dotted = Array.isArray(path) ? path.map(String).join('.') : typeof path === 'string' ? path : '';
    issues.push({ path: dotted, message });
  }
  return issues;
}

export function policyHandlers({ cache, connection, changed }: PolicyDeps): Pick<Handlers, PolicyChannels> {
  const apply = (changes: SyncChange[]) => {
    const cursor = cache.cursor();
    cache.applyChanges(changes, cursor);
    changed([...new Set(changes.map((c) => c.entity))], cursor);
  };

  return {
    'policies.save': async ({ id, ...body }) => {
      const client = connection.online();
      try {
        // An edit sends every field, so what is saved is exactly what the editor showed (PATCH
        // replaces each field given whole; a field left out would keep its old value).
        const policy =
          id === undefined
            ? await client.createPolicy(body, randomUUID())
            : await client.updatePolicy(
                id,
                {
                  ...body,
                  description: body.description ?? '',
                  conditions: body.conditions ?? {},
                  requesterCanApprove: body.requesterCanApprove ?? false,
                  adminBypass: body.adminBypass ?? false,
                  rules: body.rules ?? [],
                  escalation: body.escalation ?? null,
                },
                randomUUID(),
              );
        apply([{ seq: cache.cursor(), entity: 'policy', id: policy.id, op: 'upsert', data: policy }]);
        return { policy };
      } catch (err) {
        if (err instanceof ApiError && err.status === 400) return { refused: { message: err.message, issues: fieldIssues(err.details, body.rules) } };
        throw err;
      }
    },
    'policies.delete': async ({ id }) => {
      const policy = await connection.online().deletePolicy(id, randomUUID());
      // The server deletes the policy's bindings with it.
      const bindings = cache.list('binding').filter((b) => b.policyId === id);
      apply([
        ...bindings.map((b): SyncChange => ({ seq: cache.cursor(), entity: 'binding', id: b.id, op: 'delete' })),
        { seq: cache.cursor(), entity: 'policy', id, op: 'delete' },
      ]);
      return { policy };
    },
    'bindings.create': async (body) => {
      const binding = await connection.online().createBinding(body, randomUUID());
      apply([{ seq: cache.cursor(), entity: 'binding', id: binding.id, op: 'upsert', data: binding }]);
      return { binding };
    },
    'bindings.delete': async ({ id }) => {
      const binding = await connection.online().deleteBinding(id, randomUUID());
      apply([{ seq: cache.cursor(), entity: 'binding', id, op: 'delete' }]);
      return { binding };
    },
  };
}
