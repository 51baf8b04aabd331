// The preload: one small typed object on window.gatehouse, nothing else. ipcRenderer itself never
// reaches the page; listeners get the payload only, never Electron's event.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { events, type GatehouseApi } from '../shared/ipc.ts';
import { EVENT_PREFIX, INVOKE_CHANNEL } from './core/shell/ipc-names.ts';

const EVENT_NAMES = new Set(Object.keys(events));

const api: GatehouseApi = {
  invoke: (channel, input) => ipcRenderer.invoke(INVOKE_CHANNEL, channel, input),
  on: (event, listener) => {
    if (!EVENT_NAMES.has(event)) throw new Error(`unknown event ${String(event)}`);
    const wrapped = (_e: IpcRendererEvent, payload: unknown) => listener(payload as never);
    ipcRenderer.on(`${EVENT_PREFIX}${event}`, wrapped);
    return () => void ipcRenderer.removeListener(`${EVENT_PREFIX}${event}`, wrapped);
  },
};

contextBridge.exposeInMainWorld('gatehouse', api);
