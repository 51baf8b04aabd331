// The route table: one line per screen. `nav` puts a link in the left navigation (in this
// order); `component` renders the screen. Adding a screen: renderer/README.md.
import type { Component } from 'svelte';
import Inbox from './screens/Inbox.svelte';
import RequestDetail from './screens/RequestDetail.svelte';
import NewRequest from './screens/NewRequest.svelte';
import Settings from './screens/Settings.svelte';
import Environments from './screens/Environments.svelte';
import BreakGlass from './screens/BreakGlass.svelte';
import BreakGlassReview from './screens/BreakGlassReview.svelte';
import Audit from './screens/Audit.svelte';
import Insights from './screens/Insights.svelte';
import People from './screens/People.svelte';
import PeoplePerson from './screens/PeoplePerson.svelte';
import Policies from './screens/Policies.svelte';
import Notifications from './screens/Notifications.svelte';
import GitHub from './screens/GitHub.svelte';
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
  component: Component<ScreenProps>;
}

export const routes: Route[] = [
  { path: '/inbox', title: 'Inbox', nav: 'Inbox', icon: 'inbox', key: 'i', component: Inbox },
  { path: '/request/:id', title: 'Request', section: '/inbox', component: RequestDetail },
  { path: '/new', title: 'New request', section: '/inbox', component: NewRequest },
  { path: '/environments', title: 'Environments', nav: 'Environments', icon: 'layers', key: 'e', component: Environments },
  { path: '/break-glass', title: 'Break-glass', nav: 'Break-glass', icon: 'siren', key: 'b', component: BreakGlass },
  { path: '/policies', title: 'Policies', nav: 'Policies', icon: 'shield', key: 'p', component: Policies },
  { path: '/break-glass/review/:id', title: 'Break-glass review', section: '/break-glass', component: BreakGlassReview },
  { path: '/audit', title: 'Audit log', nav: 'Audit log', icon: 'scroll', key: 'a', component: Audit },
  { path: '/insights', title: 'Insights', nav: 'Insights', icon: 'chart', key: 'n', component: Insights },
  { path: '/people', title: 'People', nav: 'People', icon: 'users', key: 'u', component: People },
  { path: '/people/:id', title: 'Person', section: '/people', component: PeoplePerson },
  { path: '/notifications', title: 'Notifications', nav: 'Notifications', icon: 'bell', key: 'o', component: Notifications },
  { path: '/github', title: 'GitHub', nav: 'GitHub', icon: 'branch', key: 'h', component: GitHub },
  { path: '/settings', title: 'Settings', nav: 'Settings', icon: 'gear', key: 's', component: Settings },
];
