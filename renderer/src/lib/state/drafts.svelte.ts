// Comment drafts, one per request: leaving a request (Esc, a link, another tab of the app) and
// coming back finds the comment as it was typed. Kept in sessionStorage, so a reload keeps them
// too but they end with the window; a decision sent clears its draft.
const KEY = 'gatehouse.drafts';

function load(): Record<string, string> {
  try {
    const raw = globalThis.sessionStorage?.getItem(KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

class Drafts {
  #drafts = $state<Record<string, string>>(load());

  get(requestId: string): string {
    return this.#drafts[requestId] ?? '';
  }

  set(requestId: string, text: string): void {
    if ((this.#drafts[requestId] ?? '') === text) return;
    if (text === '') delete this.#drafts[requestId];
    else this.#drafts[requestId] = text;
    try {
      globalThis.sessionStorage?.setItem(KEY, JSON.stringify(this.#drafts));
    } catch {
      // storage full or refused: the draft still lives for this page
    }
  }

  clear(requestId: string): void {
    this.set(requestId, '');
  }
}

export const drafts = new Drafts();
