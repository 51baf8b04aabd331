// The server's GitHub App integration (online only, never cached): whether it runs as a GitHub App
// and which repository is linked to which project. Loaded when the screen opens and again when the
// connection comes back; every change goes to the server and the list shows its answer.
import { createSubscriber } from 'svelte/reactivity';
import type { Input, Output } from '../../../../shared/ipc.ts';
import type { GitHubLink } from '../../../../shared/schemas/index.ts';
import { call, on } from '../api.ts';
import { isForbidden, isOffline } from '../notify-words.ts';
import { githubError } from '../github-words.ts';

export type GitHubStatus = Output<'github.status'>;
export type Load = { state: 'loading' } | { state: 'ready' } | { state: 'unavailable'; offline: boolean; forbidden: boolean; message: string };

export class GitHubState {
  #status = $state.raw<GitHubStatus | undefined>(undefined);
  #links = $state.raw<GitHubLink[]>([]);
  #load = $state.raw<Load>({ state: 'loading' });

  #subscribe = createSubscriber(() => {
    void this.refresh();
    return on('connection.status', (s) => {
      if (s.state === 'online' && this.#load.state === 'unavailable' && this.#load.offline) void this.refresh();
    });
  });

  get status(): GitHubStatus | undefined {
    this.#subscribe();
    return this.#status;
  }
  get links(): GitHubLink[] {
    this.#subscribe();
    return this.#links;
  }
  get load(): Load {
    this.#subscribe();
    return this.#load;
  }

  async refresh(): Promise<void> {
    try {
      const [status, { links }] = await Promise.all([call('github.status', {}), call('github.links.list', {})]);
      this.#status = status;
      this.#links = links;
      this.#load = { state: 'ready' };
    } catch (err) {
      this.#load = { state: 'unavailable', offline: isOffline(err), forbidden: isForbidden(err), message: githubError(err) };
    }
  }

  /** Links a repository; the list shows the server's answer. A refusal (409, 400, offline) is thrown. */
  async link(body: Input<'github.links.create'>): Promise<GitHubLink> {
    const { link } = await call('github.links.create', body);
    this.#links = [...this.#links.filter((l) => l.id !== link.id), link];
    return link;
  }

  async unlink(id: string): Promise<GitHubLink> {
    const { link } = await call('github.links.remove', { id });
    this.#links = this.#links.filter((l) => l.id !== link.id);
    return link;
  }
}

export const github = new GitHubState();
