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

function isEnvOp(e: OutboxEntry): e is OutboxEntry & { op: { type: 'freeze' | 'unfreeze'; environmentId: string } } {
  return e.op.type === 'freeze' || e.op.type === 'unfreeze';
}

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

  /** Freeze / unfreeze requests a policy holds for approval. */
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

  /** One freeze per production environment not already locked, with the same reason. */
  async freezeAllProduction(reason: string, minutes: number | null): Promise<number> {
    const targets = this.unfrozenProduction;
    for (const env of targets) await this.freeze(env.id, reason, minutes);
    return targets.length;
  }

  /** What the server would say to freezing / unfreezing this environment (from the cache). */
  async preview(env: Environment, action: 'environment.freeze' | 'environment.unfreeze', justification = ''): Promise<Preview | undefined> {
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
        if (request.action !== 'environment.freeze' && request.action !== 'environment.unfreeze') continue;
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
