/**
 * Typed IPC handlers. Raw ipcMain is used only here, and every invocation's sender is checked:
 * only our own window's main frame, loading our own renderer, may call the service.
 */
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import type { Args, Channel, DemlApi, Result } from '../contract/api';

export type Handlers = { [C in Channel]: (...args: Args<C>) => Result<C> | Promise<Result<C>> };

export function isTrustedSender(
  event: IpcMainInvokeEvent,
  window: WebContents | null,
  rendererUrl: string,
): boolean {
  const frame = event.senderFrame;
  if (!window || event.sender !== window || !frame || frame !== window.mainFrame) return false;
  return frame.url.startsWith(rendererUrl);
}

export function registerHandlers(
  handlers: Handlers,
  trusted: (event: IpcMainInvokeEvent) => boolean,
): () => void {
  const channels = Object.keys(handlers) as Channel[];
  for (const channel of channels) {
    ipcMain.handle(channel, async (event, ...args: unknown[]) => {
      if (!trusted(event)) throw new Error(`refused '${channel}' from an untrusted sender`);
      const handler = handlers[channel] as (...a: unknown[]) => ReturnType<DemlApi[typeof channel]>;
      return handler(...args);
    });
  }
  return () => channels.forEach((c) => ipcMain.removeHandler(c));
}
