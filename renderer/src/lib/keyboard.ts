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

/** How long after `g` the next key still counts as its second half. */
export const GO_PREFIX_MS = 1200;

/**
 * What `g`-then-a-key does with one key press:
 * - `ignore`: not ours, let the screen have it;
 * - `arm`: this was `g`; the next key belongs to it;
 * - `go`: the second half names a route: go there;
 * - `swallow`: the second half names no route. It is eaten all the same, so a mistyped go-to
 *   (`g` then `r`) never reaches a screen, where `r` would reject a request.
 */
export type GoStep = { kind: 'ignore' } | { kind: 'arm' } | { kind: 'go'; key: string } | { kind: 'swallow'; key: string };

/** The `g` prefix as a small state machine: `press` takes the key and the event's time (ms, any monotonic origin). */
export class GoPrefix {
  readonly #isRoute: (key: string) => boolean;
  readonly #windowMs: number;
  #armedAt: number | undefined;

  constructor(isRoute: (key: string) => boolean, windowMs = GO_PREFIX_MS) {
    this.#isRoute = isRoute;
    this.#windowMs = windowMs;
  }

  get armed(): boolean {
    return this.#armedAt !== undefined;
  }

  press(key: string, atMs: number): GoStep {
    const armedAt = this.#armedAt;
    if (armedAt !== undefined && atMs - armedAt <= this.#windowMs) {
      // Shift, Caps Lock and friends are not a second key: `g` then `?` needs Shift first.
      if (MODIFIER_KEYS.has(key)) return { kind: 'ignore' };
      this.#armedAt = undefined;
      return this.#isRoute(key) ? { kind: 'go', key } : { kind: 'swallow', key };
    }
    this.#armedAt = undefined;
    if (key === 'g') {
      this.#armedAt = atMs;
      return { kind: 'arm' };
    }
    return { kind: 'ignore' };
  }

  /** Forget a pending `g` (focus moved into a field, a dialog opened). */
  reset(): void {
    this.#armedAt = undefined;
  }
}

const MODIFIER_KEYS: ReadonlySet<string> = new Set(['Shift', 'Control', 'Alt', 'Meta', 'CapsLock', 'AltGraph']);
