// The preload: one small typed object on window.gatehouse, nothing else. ipcRenderer itself never
// reaches the page; only contract channels and events pass; listeners get the payload only.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { GatehouseApi } from '../shared/ipc.ts';
import { CHANNEL_NAMES, EVENT_NAMES } from '../shared/ipc/names.ts';
import { EVENT_PREFIX, INVOKE_PREFIX } from './core/shell/ipc-names.ts';

const CHANNELS = new Set<string>(CHANNEL_NAMES);
const EVENTS = new Set<string>(EVENT_NAMES);

const api: GatehouseApi = {
  invoke: (channel, input) => {
    if (!CHANNELS.has(channel)) return Promise.resolve({ ok: false, error: { code: 'unknown_channel', message: `unknown IPC channel ${String(channel)}` } });
    return ipcRenderer.invoke(`${INVOKE_PREFIX}${channel}`, input);
  },
  on: (event, listener) => {
    if (!EVENTS.has(event)) throw new Error(`unknown event ${String(event)}`);
    const wrapped = (_e: IpcRendererEvent, payload: unknown) => listener(payload as never);
    ipcRenderer.on(`${EVENT_PREFIX}${event}`, wrapped);
    return () => void ipcRenderer.removeListener(`${EVENT_PREFIX}${event}`, wrapped);
  },
};

contextBridge.exposeInMainWorld('gatehouse', api);
