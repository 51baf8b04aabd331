// The console's single-key shortcuts (j, k, a, r, n, p, `?`, `g` then a key…) must not fire while
// the user is typing, and must leave the browser's and the OS's own shortcuts alone. Every screen
// asks this one module, so they all agree on what "typing" is.

/** What the guard reads of an event's target; a DOM element has all of it, `window` none of it. */
interface TargetLike {
  tagName?: unknown;
  isContentEditable?: unknown;
  closest?: (selector: string) => unknown;
}

/** What the guard reads of a key event (a KeyboardEvent has it all). */
export interface KeyLike {
  defaultPrevented: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: unknown;
}

const TEXT_ENTRY: ReadonlySet<string> = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

/**
 * Is the key going somewhere the user types: a form field, an editable region, or anything inside
 * an open dialog (a dialog's keys are its own: Escape closes it, letters go to its fields).
 */
export function isTyping(target: unknown): boolean {
  if (typeof target !== 'object' || target === null) return false;
  const el = target as TargetLike;
  if (el.isContentEditable === true) return true;
  if (typeof el.tagName === 'string' && TEXT_ENTRY.has(el.tagName.toUpperCase())) return true;
  return typeof el.closest === 'function' && el.closest('dialog[open]') != null;
}

/** Ctrl, Meta (⌘) or Alt held: the browser's or the OS's shortcut, never ours. Shift is not one: `?` needs it. */
export function hasModifier(e: Pick<KeyLike, 'ctrlKey' | 'metaKey' | 'altKey'>): boolean {
  return e.ctrlKey || e.metaKey || e.altKey;
}

/** Should a single-key shortcut act on this event? Not if a handler took it, a modifier is held, or the user is typing. */
export function isShortcut(e: KeyLike): boolean {
  return !e.defaultPrevented && !hasModifier(e) && !isTyping(e.target);
}
