// Users, teams, projects, clusters, environments, policies and bindings from the cache, with
// name look-ups for the screens. Reloaded when the cache says one of them changed.
import { createSubscriber } from 'svelte/reactivity';
import type { Output } from '../../../../shared/ipc.ts';
import type { Environment, Resource } from '../../../../shared/schemas/index.ts';
import { call, on } from '../api.ts';
import { resourceLabel } from '../../../../shared/inbox.ts';

type Directory = Output<'directory.get'>;
const DIRECTORY_ENTITIES = new Set(['user', 'team', 'project', 'cluster', 'environment', 'policy', 'binding']);
const EMPTY: Directory = { users: [], teams: [], projects: [], clusters: [], environments: [], policies: [], bindings: [] };

export class DirectoryState {
  #data = $state.raw<Directory>(EMPTY);
  #byId = $derived.by(() => {
    const d = this.#data;
    const names = new Map<string, string>();
    for (const list of [d.users, d.teams, d.projects, d.clusters, d.environments, d.policies]) for (const x of list) names.set(x.id, x.name);
    return { names, envs: new Map(d.environments.map((e) => [e.id, e])) };
  });

  #subscribe = createSubscriber(() => {
    void this.refresh();
    return on('cache.changed', (c) => {
      if (c.entities.some((e) => DIRECTORY_ENTITIES.has(e))) void this.refresh();
    });
  });

  async refresh(): Promise<void> {
    try {
      this.#data = await call('directory.get', {});
    } catch {
      // Signed out or not loaded yet: keep what we have.
    }
  }

  get data(): Directory {
    this.#subscribe();
    return this.#data;
  }

  /** A display name for any id the directory knows, or a shortened id. */
  name(id: string | undefined): string {
    if (!id) return '';
    this.#subscribe();
    return this.#byId.names.get(id) ?? id.replace(/^[a-z]+_/, '').slice(0, 8);
  }

  environment(id: string | undefined): Environment | undefined {
    if (!id) return undefined;
    this.#subscribe();
    return this.#byId.envs.get(id);
  }

  /** "checkout / production", "prod-eu-1", "payments / prod-eu-1". */
  resource(r: Resource): string {
    return resourceLabel(
      r,
      (id) => this.environment(id),
      (id) => this.name(id),
    );
  }

  /** Environment label that stays unique across projects. */
  environmentLabel(env: Environment): string {
    return `${this.name(env.projectId)} / ${env.name}`;
  }
}

export const directory = new DirectoryState();
