/**
 * The preload exposes the contract's named functions and nothing else (no raw ipcRenderer).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { CHANNELS, type RendererApi } from '../contract/api';

const api = Object.fromEntries(
  CHANNELS.map((channel) => [channel, (...args: unknown[]) => ipcRenderer.invoke(channel, ...args)]),
) as unknown as RendererApi;

contextBridge.exposeInMainWorld('deml', Object.freeze(api));
