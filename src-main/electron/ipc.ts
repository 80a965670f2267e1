/**
 * Typed IPC handlers. Raw ipcMain is used only here, and every invocation's sender is checked:
 * only our own window's main frame, loading our own renderer, may call the service. Payloads
 * are validated by the service (WorkbenchService.call) before any handler runs.
 */
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { CHANNELS } from '../contract/api';
import type { WorkbenchService } from '../service/service';

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
  service: Pick<WorkbenchService, 'call'>,
  trusted: (event: IpcMainInvokeEvent) => boolean,
): () => void {
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, async (event, ...args: unknown[]) => {
      if (!trusted(event)) throw new Error(`refused '${channel}' from an untrusted sender`);
      return service.call(channel, args);
    });
  }
  return () => CHANNELS.forEach((c) => ipcMain.removeHandler(c));
}
