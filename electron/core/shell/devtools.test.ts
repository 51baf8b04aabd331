import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applicationMenu, devToolsAllowed, isDevToolsShortcut, lockDevTools, type KeyInputLike } from './devtools.ts';
import type { PreventableEvent } from './security.ts';
import { windowOptions } from './security.ts';

const key = (k: string, mods: Partial<KeyInputLike> = {}): KeyInputLike => ({
  type: 'keyDown',
  key: k,
  control: false,
  shift: false,
  alt: false,
  meta: false,
  ...mods,
});

test('the attack: a packaged build has no DevTools (window preference, shortcuts, a DevTools window opened anyway, the menu)', () => {
  const allowed = devToolsAllowed(true);
  assert.equal(allowed, false);
  assert.equal(windowOptions('/p.cjs', false, allowed).webPreferences.devTools, false);
  assert.equal(windowOptions('/p.cjs', false).webPreferences.devTools, false, 'off unless asked for');
  assert.equal(windowOptions('/p.cjs', false, devToolsAllowed(false)).webPreferences.devTools, true, 'development keeps them');

  for (const platform of ['linux', 'win32', 'darwin'] as const) {
    const listeners = new Map<string, (...a: any[]) => void>();
    let closed = 0;
    lockDevTools({ on: (e: string, l: (...a: any[]) => void) => listeners.set(e, l), closeDevTools: () => void closed++ } as never, { allowed, platform });
    const blocked = (input: KeyInputLike) => {
      let prevented = false;
      listeners.get('before-input-event')!({ preventDefault: () => (prevented = true) } satisfies PreventableEvent, input);
      return prevented;
    };
    const shortcuts =
      platform === 'darwin'
        ? [key('F12'), key('i', { meta: true, alt: true }), key('J', { meta: true, alt: true }), key('c', { meta: true, shift: true })]
        : [key('F12'), key('I', { control: true, shift: true }), key('j', { control: true, shift: true }), key('C', { control: true, shift: true })];
    for (const s of shortcuts) assert.equal(blocked(s), true, `${platform} ${JSON.stringify(s)}`);
    for (const s of [key('i'), key('c', { control: true }), key('a', { control: true, shift: true }), { ...key('F12'), type: 'keyUp' }])
      assert.equal(blocked(s), false, `${platform} ${JSON.stringify(s)}`);
    listeners.get('devtools-opened')!();
    assert.equal(closed, 1);
    const menu = JSON.stringify(applicationMenu({ allowed, platform }));
    assert.doesNotMatch(menu, /toggleDevTools|forceReload/i);
    assert.match(menu, /editMenu/);
  }
});

test('development keeps DevTools: nothing is hooked, the default menu stays', () => {
  const hooked: string[] = [];
  lockDevTools({ on: (e: string) => hooked.push(e), closeDevTools: () => undefined } as never, { allowed: devToolsAllowed(false), platform: 'linux' });
  assert.deepEqual(hooked, []);
  assert.equal(applicationMenu({ allowed: true, platform: 'linux' }), null);
  assert.equal(isDevToolsShortcut(key('F12'), 'linux'), true);
});
