// Opening web mode in the user's browser without putting the secret in any process's arguments
// (every local user can read those: `ps`, /proc/PID/cmdline). The secret-bearing address goes into
// a small redirect page in the data directory, written atomically with mode 0600 (the directory
// is 0700), and the opener (xdg-open, open, explorer) is given that file's path, which carries no
// secret. The browser, running as the user, reads the file and follows the redirect to
// http://127.0.0.1:PORT/#<secret>; the fragment never leaves the browser. The page is deleted once
// the console has connected (and when web mode stops), so the secret does not stay on disk.
import { type SpawnOptions, spawn as nodeSpawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.ts';

export const LAUNCH_PAGE = 'open.html';

export interface OpenedBrowser {
  /** The redirect page handed to the opener. */
  file: string;
  command: string;
  args: string[];
  /** Deletes the redirect page (idempotent; safe to call any number of times). */
  discard(): Promise<void>;
}

export interface OpenBrowserOptions {
  dataDir: string;
  /** The secret-bearing address (`http://127.0.0.1:PORT/#<secret>`). */
  openUrl: string;
  platform?: NodeJS.Platform;
  spawn?: (command: string, args: string[], options: SpawnOptions) => { on(event: 'error', l: (err: Error) => void): unknown; unref(): void };
}

/** The opener for this platform and its arguments: the file's path only. */
export function openerCommand(platform: NodeJS.Platform, file: string): { command: string; args: string[] } {
  if (platform === 'darwin') return { command: 'open', args: [file] };
  if (platform === 'win32') return { command: 'explorer', args: [file] };
  return { command: 'xdg-open', args: [file] };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The redirect page: a meta refresh (no script needed), a script for browsers that ignore it, and a link. */
export function launchPage(openUrl: string): string {
  const u = new URL(openUrl);
  if (u.protocol !== 'http:' || (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost')) throw new Error('web mode opens loopback http addresses only');
  const href = escapeHtml(u.href);
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=${href}">
<title>Opening Gatehouse…</title></head>
<body><p><a href="${href}" rel="noreferrer">Open Gatehouse</a></p>
<script>location.replace(${JSON.stringify(u.href).replace(/</g, '\\u003c')});</script></body></html>
`;
}

export async function openInBrowser(o: OpenBrowserOptions): Promise<OpenedBrowser> {
  const file = join(o.dataDir, LAUNCH_PAGE);
  await writeFileAtomic(file, launchPage(o.openUrl), { mode: 0o600, dirMode: 0o700 });
  const { command, args } = openerCommand(o.platform ?? process.platform, file);
  const spawn = o.spawn ?? nodeSpawn;
  const child = spawn(command, args, { stdio: 'ignore', detached: true });
  child.on('error', () => undefined); // no opener installed: the printed address still works
  child.unref();
  let gone: Promise<void> | undefined;
  return { file, command, args, discard: () => (gone ??= rm(file, { force: true }).catch(() => undefined)) };
}
