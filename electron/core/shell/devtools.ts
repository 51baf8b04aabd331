// DevTools only in development. A packaged build's window is created with `devTools: false`, its
// DevTools shortcuts (F12, Ctrl+Shift+I/J/C, Cmd+Alt+I/J/C, Cmd+Shift+C) are swallowed, a DevTools
// window that opens anyway is closed at once, and the application menu has no "Toggle Developer
// Tools" item. Without them, anyone at the unlocked machine (or a lured user pasting a snippet)
// could run code in the renderer's context. main.ts only wires these.
import type { PreventableEvent } from './security.ts';

/** DevTools exist in a development run only (`app.isPackaged` false). */
export function devToolsAllowed(isPackaged: boolean): boolean {
  return !isPackaged;
}

/** The part of Electron's before-input-event Input the check reads. */
export interface KeyInputLike {
  type: string;
  key: string;
  control: boolean;
  shift: boolean;
  alt: boolean;
  meta: boolean;
}

export function isDevToolsShortcut(input: KeyInputLike, platform: NodeJS.Platform): boolean {
  if (input.type !== 'keyDown' && input.type !== 'rawKeyDown') return false;
  const key = input.key.toLowerCase();
  if (key === 'f12') return true;
  if (platform === 'darwin') {
    if (input.meta && input.alt && ['i', 'j', 'c', 'u'].includes(key)) return true;
    if (input.meta && input.shift && key === 'c') return true;
    return false;
  }
  return input.control && input.shift && ['i', 'j', 'c'].includes(key);
}

/** The slice of webContents this needs (Electron's WebContents satisfies it). */
export interface DevToolsContentsLike {
  on(event: 'before-input-event', listener: (event: PreventableEvent, input: KeyInputLike) => void): unknown;
  on(event: 'devtools-opened', listener: () => void): unknown;
  closeDevTools(): void;
}

/** In a packaged build: no shortcut opens DevTools, and DevTools opened by any other way close. */
export function lockDevTools(contents: DevToolsContentsLike, o: { allowed: boolean; platform: NodeJS.Platform }): void {
  if (o.allowed) return;
  contents.on('before-input-event', (event, input) => {
    if (isDevToolsShortcut(input, o.platform)) event.preventDefault();
  });
  contents.on('devtools-opened', () => contents.closeDevTools());
}

type MenuRole = 'appMenu' | 'fileMenu' | 'editMenu' | 'windowMenu' | 'resetZoom' | 'zoomIn' | 'zoomOut' | 'togglefullscreen';
export type MenuTemplate = ({ role: MenuRole } | { type: 'separator' } | { label: string; submenu: ({ role: MenuRole } | { type: 'separator' })[] })[];

/**
 * The application menu of a packaged build (Electron's default one has "Toggle Developer Tools" and
 * "Force Reload"), or null to keep the default in development.
 */
export function applicationMenu(o: { allowed: boolean; platform: NodeJS.Platform }): MenuTemplate | null {
  if (o.allowed) return null;
  return [
    ...(o.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { label: 'View', submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
    { role: 'windowMenu' },
  ];
}
