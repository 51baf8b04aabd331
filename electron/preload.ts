// The preload: one small typed object on window.gatehouse, nothing else. ipcRenderer itself never
// reaches the page; only contract channels and events pass; listeners get the payload only.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { channels, events, type GatehouseApi } from '../shared/ipc.ts';
import { EVENT_PREFIX, INVOKE_PREFIX } from './core/shell/ipc-names.ts';

const CHANNELS = new Set(Object.keys(channels));
const EVENTS = new Set(Object.keys(events));

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
