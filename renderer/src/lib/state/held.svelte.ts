// Decisions made from the keyboard or in bulk wait a few seconds in the outbox before they are sent
// (like an undo-send), so a slip of the finger can be taken back. One group per user action (a bulk
// approve is one group of several entries), shown as a toast with Undo (or `z`) until the outbox
// has sent it. The core owns the hold; this only remembers what to call each group.
import type { OutboxEntry, OutboxOp } from '../../../../shared/desktop/outbox.ts';
import { call, errorMessage } from '../api.ts';
import { flash } from '../flash.svelte.ts';
import { connection } from './connection.svelte.ts';

/** The undo window, in seconds. */
export const HOLD_SECONDS = 5;

export interface HeldGroup {
  key: string;
  /** What was decided, in words: "Approval of Deploy · api (production), without opening the diff". */
  text: string;
  ids: string[];
  /** When the hold ends (epoch ms, the core's clock). */
  until: number;
}

class HeldState {
  #groups = $state.raw<HeldGroup[]>([]);
  #next = 1;

  /** Groups with at least one entry still waiting in the outbox (unsent), oldest first. */
  get visible(): HeldGroup[] {
    const waiting = new Set(connection.outbox.entries.filter((e) => e.state !== 'conflict').map((e) => e.id));
    return this.#groups.filter((g) => g.ids.some((id) => waiting.has(id)));
  }

  get latest(): HeldGroup | undefined {
    return this.visible.at(-1);
  }

  /** Queues `ops` with an undo window; resolves once they are on disk. */
  async hold(ops: OutboxOp[], text: string): Promise<OutboxEntry[]> {
    const entries: OutboxEntry[] = [];
    try {
      for (const op of ops) entries.push(await call('outbox.enqueueHeld', { op, holdSeconds: HOLD_SECONDS }));
    } finally {
      if (entries.length > 0) {
        const until = Math.max(...entries.map((e) => Date.parse(e.holdUntil ?? e.queuedAt)));
        const live = this.visible;
        this.#groups = [...live, { key: `held-${this.#next++}`, text, ids: entries.map((e) => e.id), until }];
      }
    }
    return entries;
  }

  /** Takes the group back: every entry not yet sent is removed from the outbox. */
  async undo(key: string): Promise<void> {
    const group = this.#groups.find((g) => g.key === key);
    if (!group) return;
    this.#groups = this.#groups.filter((g) => g.key !== key);
    const tooLate: string[] = [];
    for (const id of group.ids) {
      try {
        await call('outbox.undo', { id });
      } catch (err) {
        tooLate.push(errorMessage(err));
      }
    }
    void connection.refresh();
    if (tooLate.length === 0) flash.show(`Undone: ${group.text}`);
    else if (tooLate.length === group.ids.length) flash.show(`Too late to undo: ${tooLate[0]}`, 'error');
    else flash.show(`Undid ${group.ids.length - tooLate.length} of ${group.ids.length}; too late for the rest: ${tooLate[0]}`, 'error');
  }
}

export const held = new HeldState();
