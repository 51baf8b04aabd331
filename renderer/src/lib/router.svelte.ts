// A tiny hash router: `#/inbox`, `#/request/<id>`, `#/settings`, … The route table lives in
// src/routes.ts; this matches the address against it. The core's `navigate` and
// `notification.clicked` events route too.
import { createSubscriber } from 'svelte/reactivity';
import type { Payload } from '../../../shared/ipc.ts';
import { on, shell } from './api.ts';
import { flash } from './flash.svelte.ts';

export const DEFAULT_PATH = '/inbox';

/** The path part of the address: `#/request/abc` → `/request/abc`. */
function currentPath(): string {
  const hash = location.hash.slice(1);
  return hash.startsWith('/') ? hash : DEFAULT_PATH;
}

/** `/request/:id` against `/request/abc` → `{ id: 'abc' }`, or undefined when it doesn't match. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('?')[0]!.split('/').filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return undefined;
  }
  return params;
}

/** Where a clicked notification leads. */
export function noticePath(target: Payload<'notification.clicked'>['target']): string {
  switch (target.kind) {
    case 'request':
      return `/request/${encodeURIComponent(target.id)}`;
    case 'environment':
      return '/environments';
    case 'breakglass':
      return '/break-glass';
    case 'inbox':
      return '/inbox';
    case 'audit':
      return '/audit';
    default:
      return target satisfies never;
  }
}

export class Router {
  #path = $state(typeof location === 'undefined' ? DEFAULT_PATH : currentPath());

  #subscribe = createSubscriber(() => {
    const onHash = () => (this.#path = currentPath());
    window.addEventListener('hashchange', onHash);
    const offs = [
      on('navigate', ({ route }) => this.go(route)),
      on('notification.clicked', ({ target }) => {
        window.focus();
        this.go(noticePath(target));
      }),
    ];
    return () => {
      window.removeEventListener('hashchange', onHash);
      for (const off of offs) off();
    };
  });

  get path(): string {
    this.#subscribe();
    return this.#path;
  }

  /** Goes to a path (`/request/abc`); a path that is not ours goes to the inbox. */
  go(path: string): void {
    const p = path.startsWith('/') ? path : `/${path}`;
    if (location.hash !== `#${p}`) location.hash = p;
    this.#path = p;
  }
}

export const router = new Router();

export function href(path: string): string {
  return `#${path}`;
}

/**
 * The address that opens a request from outside this window: the app's deep link on the desktop
 * (electron/core/shell/security.ts), this host's page in web mode. Never the launch secret: a tab
 * opened from it gets in with the session cookie the first tab traded the secret for.
 */
export function requestLink(id: string): string {
  const path = `/request/${encodeURIComponent(id)}`;
  return shell === 'desktop' ? `gatehouse:/${path}` : `${location.origin}/${href(path)}`;
}

/** Copies a request's link, saying so (or why not). */
export async function copyRequestLink(id: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(requestLink(id));
    flash.show('Link copied');
  } catch {
    flash.show('The link could not be copied: this window has no clipboard access', 'error');
  }
}
