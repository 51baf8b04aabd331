// The server's notification channels and each one's deliveries (online only, never cached): loaded
// when the screen opens and again when the connection comes back; every change goes to the server
// and the list shows its answer.
import { createSubscriber } from 'svelte/reactivity';
import type { ChannelSaveResult, Input } from '../../../../shared/ipc.ts';
import type { Channel, Delivery } from '../../../../shared/schemas/index.ts';
import { call, on } from '../api.ts';
import { isForbidden, isOffline, notifyError } from '../notify-words.ts';

export type Load = { state: 'loading' } | { state: 'ready' } | { state: 'unavailable'; offline: boolean; forbidden: boolean; message: string };
export type Deliveries = { state: 'loading'; deliveries?: Delivery[] } | { state: 'ready'; deliveries: Delivery[] } | { state: 'unavailable'; message: string };

/** How many deliveries the panel shows (the newest). */
const DELIVERIES_SHOWN = 50;

export class NotificationsState {
  #channels = $state.raw<Channel[]>([]);
  #load = $state.raw<Load>({ state: 'loading' });
  #deliveries = $state.raw<Record<string, Deliveries>>({});

  #subscribe = createSubscriber(() => {
    void this.refresh();
    return on('connection.status', (s) => {
      if (s.state === 'online' && this.#load.state === 'unavailable' && this.#load.offline) void this.refresh();
    });
  });

  get channels(): Channel[] {
    this.#subscribe();
    return this.#channels;
  }
  get load(): Load {
    this.#subscribe();
    return this.#load;
  }
  deliveries(channelId: string): Deliveries | undefined {
    return this.#deliveries[channelId];
  }

  async refresh(): Promise<void> {
    try {
      this.#channels = (await call('channels.list', {})).channels;
      this.#load = { state: 'ready' };
    } catch (err) {
      this.#load = { state: 'unavailable', offline: isOffline(err), forbidden: isForbidden(err), message: notifyError(err) };
    }
  }

  /** Creates (without `id`) or changes a channel; the list shows the server's answer. Throws what is not a field refusal. */
  async save(id: string | undefined, body: Input<'channels.create'> | Omit<Input<'channels.update'>, 'id'>): Promise<ChannelSaveResult> {
    const result =
      id === undefined
        ? await call('channels.create', body as Input<'channels.create'>)
        : await call('channels.update', { id, ...(body as Omit<Input<'channels.update'>, 'id'>) });
    if ('channel' in result) {
      const saved = result.channel;
      this.#channels = this.#channels.some((c) => c.id === saved.id) ? this.#channels.map((c) => (c.id === saved.id ? saved : c)) : [...this.#channels, saved];
    }
    return result;
  }

  async remove(id: string): Promise<void> {
    await call('channels.remove', { id });
    this.#channels = this.#channels.filter((c) => c.id !== id);
    const { [id]: _gone, ...rest } = this.#deliveries;
    this.#deliveries = rest;
  }

  /** Sends a test through the channel; its delivery shows at the top of the channel's deliveries. */
  async test(id: string): Promise<Delivery> {
    const { delivery } = await call('channels.test', { id });
    await this.loadDeliveries(id);
    return delivery;
  }

  async loadDeliveries(channelId: string): Promise<void> {
    const shown = this.#deliveries[channelId];
    const previous = shown && 'deliveries' in shown ? shown.deliveries : undefined;
    this.#set(channelId, { state: 'loading', ...(previous ? { deliveries: previous } : {}) });
    try {
      const { deliveries } = await call('channels.deliveries', { id: channelId, limit: DELIVERIES_SHOWN });
      this.#set(channelId, { state: 'ready', deliveries });
    } catch (err) {
      this.#set(channelId, { state: 'unavailable', message: notifyError(err) });
    }
  }

  /** Sends a delivery again (same id); the panel shows it pending. */
  async redeliver(channelId: string, deliveryId: string): Promise<Delivery> {
    const { delivery } = await call('deliveries.redeliver', { id: deliveryId });
    const shown = this.#deliveries[channelId];
    if (shown?.state === 'ready') this.#set(channelId, { state: 'ready', deliveries: shown.deliveries.map((d) => (d.id === delivery.id ? delivery : d)) });
    return delivery;
  }

  #set(channelId: string, value: Deliveries): void {
    this.#deliveries = { ...this.#deliveries, [channelId]: value };
  }
}

export const notifications = new NotificationsState();
