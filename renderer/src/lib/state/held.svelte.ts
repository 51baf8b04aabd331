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
  /** Requests whose decision is on its way into the outbox, and entries on their way out of it:
   * the outbox summary (and the inbox's rows) learn of either a moment later. */
  #entering = new Set<string>();
  #leaving = new Set<string>();

  /** Groups with at least one entry still waiting in the outbox (unsent), oldest first. */
  get visible(): HeldGroup[] {
    const waiting = new Set(connection.outbox.entries.filter((e) => e.state !== 'conflict').map((e) => e.id));
    return this.#groups.filter((g) => g.ids.some((id) => waiting.has(id)));
  }

  get latest(): HeldGroup | undefined {
    return this.visible.at(-1);
  }

  /**
   * Whether this console has a decision on `requestId` waiting to be sent. It reads the outbox as it
   * is now, not a row loaded before an Undo (or a quick second keypress), so an undone decision can
   * be made again at once and a double press queues one decision, not two.
   */
  queuedFor(requestId: string): boolean {
    if (this.#entering.has(requestId)) return true;
    return connection.entriesFor(requestId).some((e) => e.state !== 'conflict' && !this.#leaving.has(e.id));
  }

  /** Queues `ops` with an undo window; resolves once they are on disk. */
  async hold(ops: OutboxOp[], text: string): Promise<OutboxEntry[]> {
    const entries: OutboxEntry[] = [];
    const requests = ops.flatMap((op) => ('requestId' in op ? [op.requestId] : []));
    for (const id of requests) this.#entering.add(id);
    try {
      for (const op of ops) entries.push(await call('outbox.enqueueHeld', { op, holdSeconds: HOLD_SECONDS }));
      await connection.refresh();
    } finally {
      for (const id of requests) this.#entering.delete(id);
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
    for (const id of group.ids) this.#leaving.add(id);
    try {
      for (const id of group.ids) {
        try {
          await call('outbox.undo', { id });
        } catch (err) {
          tooLate.push(errorMessage(err));
        }
      }
      await connection.refresh();
    } finally {
      for (const id of group.ids) this.#leaving.delete(id);
    }
    if (tooLate.length === 0) flash.show(`Undone: ${group.text}`);
    else if (tooLate.length === group.ids.length) flash.show(`Too late to undo: ${tooLate[0]}`, 'error');
    else flash.show(`Undid ${group.ids.length - tooLate.length} of ${group.ids.length}; too late for the rest: ${tooLate[0]}`, 'error');
  }
}

export const held = new HeldState();
