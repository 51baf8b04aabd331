import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hasModifier, isShortcut, isTyping, type KeyLike } from './keyboard.ts';

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
