// The route table: one line per screen. `nav` puts a link in the left navigation (in this
// order); `load` fetches the screen's component. Adding a screen: renderer/README.md.
import type { Component } from 'svelte';
// The inbox is the first screen of nearly every launch: it is in the first chunk. Every other
// screen is its own chunk, fetched when first shown (and all of them once the inbox has painted,
// screens.ts), so the first paint parses and runs only what the inbox needs.
import Inbox from './screens/Inbox.svelte';
import type { IconName } from './lib/components/Icon.svelte';

export interface ScreenProps {
  /** The route's `:name` segments, decoded. */
  params: Record<string, string>;
}

export interface Route {
  /** `/inbox`, `/request/:id`: matched against the address after `#`. */
  path: string;
  /** The top bar's title. */
  title: string;
  /** The left navigation's link text (also its accessible name); omit for routes without a link. */
  nav?: string;
  icon?: IconName;
  /** `g` then this key goes there. */
  key?: string;
  /** Which nav link is current while this route shows (for routes without their own link). */
  section?: string;
  /** The screen's module: a dynamic import, so the screen is a chunk of its own. */
  load: () => Promise<{ default: Component<ScreenProps> }>;
}

const inbox = async () => ({ default: Inbox });

export const routes: Route[] = [
  { path: '/inbox', title: 'Inbox', nav: 'Inbox', icon: 'inbox', key: 'i', load: inbox },
  { path: '/request/:id', title: 'Request', section: '/inbox', load: () => import('./screens/RequestDetail.svelte') },
  { path: '/new', title: 'New request', section: '/inbox', load: () => import('./screens/NewRequest.svelte') },
  { path: '/environments', title: 'Environments', nav: 'Environments', icon: 'layers', key: 'e', load: () => import('./screens/Environments.svelte') },
  { path: '/break-glass', title: 'Break-glass', nav: 'Break-glass', icon: 'siren', key: 'b', load: () => import('./screens/BreakGlass.svelte') },
  { path: '/policies', title: 'Policies', nav: 'Policies', icon: 'shield', key: 'p', load: () => import('./screens/Policies.svelte') },
  { path: '/break-glass/review/:id', title: 'Break-glass review', section: '/break-glass', load: () => import('./screens/BreakGlassReview.svelte') },
  { path: '/audit', title: 'Audit log', nav: 'Audit log', icon: 'scroll', key: 'a', load: () => import('./screens/Audit.svelte') },
  { path: '/insights', title: 'Insights', nav: 'Insights', icon: 'chart', key: 'n', load: () => import('./screens/Insights.svelte') },
  { path: '/people', title: 'People', nav: 'People', icon: 'users', key: 'u', load: () => import('./screens/People.svelte') },
  { path: '/people/:id', title: 'Person', section: '/people', load: () => import('./screens/PeoplePerson.svelte') },
  { path: '/notifications', title: 'Notifications', nav: 'Notifications', icon: 'bell', key: 'o', load: () => import('./screens/Notifications.svelte') },
  { path: '/github', title: 'GitHub', nav: 'GitHub', icon: 'branch', key: 'h', load: () => import('./screens/GitHub.svelte') },
  { path: '/settings', title: 'Settings', nav: 'Settings', icon: 'gear', key: 's', load: () => import('./screens/Settings.svelte') },
];
