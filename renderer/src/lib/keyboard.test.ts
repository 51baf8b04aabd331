import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GoPrefix, hasModifier, isShortcut, isTyping, type KeyLike } from './keyboard.ts';

/** A stand-in for a DOM element: a tag, maybe editable, maybe inside an open dialog. */
function element(tagName: string, opts: { editable?: boolean; inDialog?: boolean } = {}) {
  return {
    tagName,
    isContentEditable: opts.editable ?? false,
    closest: (selector: string) => (selector === 'dialog[open]' && opts.inDialog ? { tagName: 'DIALOG' } : null),
  };
}

function key(target: unknown, mods: Partial<Omit<KeyLike, 'target'>> = {}): KeyLike {
  return { defaultPrevented: false, ctrlKey: false, metaKey: false, altKey: false, target, ...mods };
}

describe('isTyping', () => {
  test('form fields and editable regions are typing', () => {
    for (const tag of ['INPUT', 'TEXTAREA', 'SELECT', 'input']) assert.equal(isTyping(element(tag)), true, tag);
    assert.equal(isTyping(element('DIV', { editable: true })), true);
  });

  test('anything inside an open dialog is typing: the dialog owns its keys', () => {
    assert.equal(isTyping(element('BUTTON', { inDialog: true })), true);
  });

  test('buttons, links, the page and no target at all are not', () => {
    for (const tag of ['BUTTON', 'A', 'BODY', 'DIV']) assert.equal(isTyping(element(tag)), false, tag);
    assert.equal(isTyping(null), false);
    assert.equal(isTyping(undefined), false);
    assert.equal(isTyping({}), false); // window or document: no tag, no closest()
  });
});

describe('hasModifier', () => {
  test('Ctrl, Meta and Alt are modifiers; Shift is not (`?` needs it)', () => {
    assert.equal(hasModifier(key(null, { ctrlKey: true })), true);
    assert.equal(hasModifier(key(null, { metaKey: true })), true);
    assert.equal(hasModifier(key(null, { altKey: true })), true);
    assert.equal(hasModifier(key(null)), false);
  });
});

describe('isShortcut', () => {
  test('a plain key outside fields is a shortcut', () => {
    assert.equal(isShortcut(key(element('BODY'))), true);
    assert.equal(isShortcut(key(element('BUTTON'))), true);
  });

  test('not while typing, with a modifier, or once another handler took the key', () => {
    assert.equal(isShortcut(key(element('INPUT'))), false);
    assert.equal(isShortcut(key(element('DIV', { editable: true }))), false);
    assert.equal(isShortcut(key(element('BUTTON', { inDialog: true }))), false);
    assert.equal(isShortcut(key(element('BODY'), { metaKey: true })), false);
    assert.equal(isShortcut(key(element('BODY'), { ctrlKey: true })), false);
    assert.equal(isShortcut(key(element('BODY'), { altKey: true })), false);
    assert.equal(isShortcut(key(element('BODY'), { defaultPrevented: true })), false);
  });
});

describe('GoPrefix', () => {
  const routes = new Set(['i', 'e', 's']);
  const fresh = () => new GoPrefix((k) => routes.has(k), 1000);

  test('g then a route key goes there', () => {
    const g = fresh();
    assert.deepEqual(g.press('g', 0), { kind: 'arm' });
    assert.equal(g.armed, true);
    assert.deepEqual(g.press('i', 100), { kind: 'go', key: 'i' });
    assert.equal(g.armed, false);
  });

  test('g then a key that is no route is swallowed, never passed on', () => {
    const g = fresh();
    g.press('g', 0);
    assert.deepEqual(g.press('r', 50), { kind: 'swallow', key: 'r' });
    assert.deepEqual(g.press('r', 60), { kind: 'ignore' }, 'only the one key after g');
    g.press('g', 100);
    assert.deepEqual(g.press('g', 150), { kind: 'swallow', key: 'g' }, 'g g is not a re-arm');
    assert.deepEqual(g.press('a', 160), { kind: 'ignore' });
  });

  test('Shift before the second key does not use up the prefix', () => {
    const g = fresh();
    g.press('g', 0);
    assert.deepEqual(g.press('Shift', 10), { kind: 'ignore' });
    assert.deepEqual(g.press('R', 20), { kind: 'swallow', key: 'R' });
  });

  test('after the window, the next key is an ordinary key again', () => {
    const g = fresh();
    g.press('g', 0);
    assert.deepEqual(g.press('r', 1001), { kind: 'ignore' });
    g.press('g', 2000);
    assert.deepEqual(g.press('i', 3000), { kind: 'go', key: 'i' }, 'exactly at the window still counts');
  });

  test('reset forgets a pending g', () => {
    const g = fresh();
    g.press('g', 0);
    g.reset();
    assert.deepEqual(g.press('r', 10), { kind: 'ignore' });
  });

  test('keys without a g first are ignored', () => {
    const g = fresh();
    for (const k of ['a', 'r', 'i', '?']) assert.deepEqual(g.press(k, 0), { kind: 'ignore' });
  });
});
