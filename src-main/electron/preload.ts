/**
 * The preload exposes the contract's named functions and event names and nothing else (no raw
 * ipcRenderer): window.deml.<channel>(...) and window.deml.on(event, listener).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { CHANNELS, EVENTS, type DemlEvents, type EventName, type RendererApi } from '../contract/api';

const calls = Object.fromEntries(
  CHANNELS.map((channel) => [channel, (...args: unknown[]) => ipcRenderer.invoke(channel, ...args)]),
) as unknown as RendererApi;

function on<E extends EventName>(event: E, listener: (payload: DemlEvents[E]) => void): () => void {
  if (!(EVENTS as readonly string[]).includes(event)) throw new Error(`unknown event '${String(event)}'`);
  const handler = (_e: unknown, name: string, payload: unknown) => {
    if (name === event) listener(payload as DemlEvents[E]);
  };
  ipcRenderer.on('deml:event', handler);
  return () => ipcRenderer.off('deml:event', handler);
}

contextBridge.exposeInMainWorld('deml', Object.freeze({ ...calls, on }));
