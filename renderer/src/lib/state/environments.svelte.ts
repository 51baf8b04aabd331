// Environments: the directory's environments grouped by project, with what waits for each (freezes
// and unfreezes queued in the outbox, refused ones, and ones held for approval as a request), and
// the freeze / unfreeze actions. Freezes go through the outbox, so they work offline.
import { createSubscriber } from 'svelte/reactivity';
import type { Output } from '../../../../shared/ipc.ts';
import type { ApprovalRequest, Environment, Project } from '../../../../shared/schemas/index.ts';
import type { OutboxEntry } from '../../../../shared/desktop/outbox.ts';
import { call, on } from '../api.ts';
import { nowMs } from '../clock.svelte.ts';
import { directory } from './directory.svelte.ts';
import { connection } from './connection.svelte.ts';

export type Preview = Output<'preview.action'>;

/** The durations the freeze form offers; `null` is "until unfrozen". */
export const FREEZE_DURATIONS: { label: string; minutes: number | null }[] = [
  { label: '30 min', minutes: 30 },
  { label: '1 h', minutes: 60 },
  { label: '4 h', minutes: 240 },
  { label: 'Until unfrozen', minutes: null },
];

export interface ProjectGroup {
  project: Project;
  environments: Environment[];
}

/** Production first, then staging, dev, and the rest by name. */
const ORDER = ['production', 'prod', 'staging', 'stage', 'dev', 'development'];
function envRank(e: Environment): number {
  const i = ORDER.indexOf(e.name.toLowerCase());
  return i === -1 ? ORDER.length : i;
}

/** What became of an outbox entry: the server took it, refused it, or it waits to be sent. */
export type Settled = { outcome: 'applied' } | { outcome: 'conflict'; entry: OutboxEntry } | { outcome: 'queued' };

/** How long to wait for a reachable server to answer before calling an entry queued. */
const SETTLE_MS = 10_000;

function isEnvOp(e: OutboxEntry): e is OutboxEntry & { op: { type: 'freeze' | 'unfreeze'; environmentId: string } } {
  return e.op.type === 'freeze' || e.op.type === 'unfreeze';
}

/** The environment actions whose held requests show on the environment's row. */
const HELD_ACTIONS: ReadonlySet<string> = new Set(['environment.freeze', 'environment.unfreeze', 'environment.policyUpdate']);

export class EnvironmentsState {
  /** Pending freeze/unfreeze requests (held for approval by a policy), by environment id. */
  #pending = $state.raw<ReadonlyMap<string, ApprovalRequest[]>>(new Map());

  #subscribe = createSubscriber(() => {
    void this.#loadPending();
    return on('cache.changed', (c) => {
      if (c.entities.includes('request')) void this.#loadPending();
    });
  });

  /** Projects by name, each with its environments (production first). */
  get groups(): ProjectGroup[] {
    const d = directory.data;
    const byProject = new Map<string, Environment[]>();
    for (const e of d.environments) {
      const list = byProject.get(e.projectId) ?? [];
      list.push(e);
      byProject.set(e.projectId, list);
    }
    return [...d.projects]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((project) => ({ project, environments: (byProject.get(project.id) ?? []).sort((a, b) => envRank(a) - envRank(b) || a.name.localeCompare(b.name)) }))
      .filter((g) => g.environments.length > 0);
  }

  /** Every environment named production that is not locked yet (for "Freeze all production"). */
  get unfrozenProduction(): Environment[] {
    return directory.data.environments.filter((e) => e.name.toLowerCase() === 'production' && e.protection !== 'locked' && this.queued(e.id).length === 0);
  }

  /** Freezes / unfreezes waiting in the outbox (queued or being sent) for one environment. */
  queued(environmentId: string): OutboxEntry[] {
    return connection.outbox.entries.filter((e) => isEnvOp(e) && e.op.environmentId === environmentId && e.state !== 'conflict');
  }

  /** Freezes / unfreezes the server refused, until dismissed. */
  conflicts(environmentId: string): OutboxEntry[] {
    return connection.outbox.entries.filter((e) => isEnvOp(e) && e.op.environmentId === environmentId && e.state === 'conflict');
  }

  /** Freeze / unfreeze and protection-change requests held for approval. */
  pending(environmentId: string): ApprovalRequest[] {
    this.#subscribe();
    return this.#pending.get(environmentId) ?? [];
  }

  async freeze(environmentId: string, reason: string, minutes: number | null): Promise<OutboxEntry> {
    const until = minutes === null ? undefined : new Date(nowMs() + minutes * 60_000).toISOString();
    return call('outbox.enqueue', { type: 'freeze', environmentId, reason: reason.trim(), ...(until ? { until } : {}) });
  }

  async unfreeze(environmentId: string, reason: string): Promise<OutboxEntry> {
    const text = reason.trim();
    return call('outbox.enqueue', { type: 'unfreeze', environmentId, ...(text ? { reason: text } : {}) });
  }

  /**
   * Resolves once the outbox has settled `entry`: gone from the queue (the server took it), a
   * conflict (refused), or still queued because the server is out of reach. So a toast says what
   * happened rather than what was asked for.
   */
  settle(entry: OutboxEntry, waitMs = SETTLE_MS): Promise<Settled> {
    return new Promise((resolve) => {
      let done = false;
      const look = (entries: OutboxEntry[]) => {
        if (done) return;
        const e = entries.find((x) => x.id === entry.id);
        if (!e) finish({ outcome: 'applied' });
        else if (e.state === 'conflict') finish({ outcome: 'conflict', entry: e });
        else if (e.state === 'queued' && (e.lastError !== undefined || !connection.online)) finish({ outcome: 'queued' });
      };
      const off = on('outbox.changed', (o) => look(o.entries));
      const timer = setTimeout(() => finish({ outcome: 'queued' }), waitMs);
      function finish(r: Settled) {
        done = true;
        off();
        clearTimeout(timer);
        resolve(r);
      }
      void call('outbox.list', {}).then(
        (o) => look(o.entries),
        () => finish({ outcome: 'queued' }),
      );
    });
  }

  /**
   * After the server took a freeze / unfreeze: did it apply, or is it held for approval? Waits
   * briefly for the sync echo; undefined when it has not arrived yet.
   */
  async appliedAs(environmentId: string, op: 'freeze' | 'unfreeze', waitMs = 3000): Promise<'applied' | 'held' | undefined> {
    const wanted = op === 'freeze' ? 'environment.freeze' : 'environment.unfreeze';
    const started = performance.now();
    for (;;) {
      const env = directory.environment(environmentId);
      if (env && (op === 'freeze' ? env.freeze !== undefined : env.freeze === undefined)) return 'applied';
      if (this.pending(environmentId).some((r) => r.action === wanted)) return 'held';
      if (performance.now() - started > waitMs) return undefined;
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** One freeze per production environment not already locked, with the same reason. */
  async freezeAllProduction(reason: string, minutes: number | null): Promise<OutboxEntry[]> {
    const targets = this.unfrozenProduction;
    const entries: OutboxEntry[] = [];
    for (const env of targets) entries.push(await this.freeze(env.id, reason, minutes));
    return entries;
  }

  /**
   * Changes protection and/or reviewers on the server (online only): the changed environment when
   * it applied at once, or the request that holds it for approval.
   */
  async updateProtection(
    id: string,
    patch: { protection?: 'none' | 'restricted'; reviewers?: { userIds: string[]; teamIds: string[] } },
  ): Promise<Output<'environment.update'>> {
    const result = await call('environment.update', { id, ...patch });
    // The request shows on the row at once, not after the next inbox reload.
    if ('request' in result) await this.#loadPending();
    return result;
  }

  /** What the server would say to freezing / unfreezing this environment (from the cache). */
  async preview(
    env: Environment,
    action: 'environment.freeze' | 'environment.unfreeze' | 'environment.policyUpdate',
    justification = '',
  ): Promise<Preview | undefined> {
    try {
      return await call('preview.action', { action, resource: { environmentId: env.id, projectId: env.projectId }, justification });
    } catch {
      return undefined;
    }
  }

  async #loadPending(): Promise<void> {
    try {
      const result = await call('inbox.query', { status: 'pending', group: 'project', limit: 500, offset: 0 });
      const map = new Map<string, ApprovalRequest[]>();
      for (const { request } of result.rows) {
        if (!HELD_ACTIONS.has(request.action)) continue;
        const id = request.resource.environmentId;
        if (!id) continue;
        map.set(id, [...(map.get(id) ?? []), request]);
      }
      this.#pending = map;
    } catch {
      // signed out or not loaded yet: nothing pending to show
    }
  }
}

export const environments = new EnvironmentsState();
