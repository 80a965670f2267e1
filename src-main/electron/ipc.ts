/**
 * Typed IPC handlers. Raw ipcMain is used only here, and every invocation's sender is checked:
 * only our own window's main frame, loading our own renderer, may call the service. Payloads
 * are validated by the service (WorkbenchService.call) before any handler runs. Each call answers
 * with its outcome (contract/api.ts CallOutcome): Electron would pass only an error's message
 * across, and the renderer needs the code and the per-field issues that HTTP carries too.
 */
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { CHANNELS, type CallOutcome } from '../contract/api';
import { callOutcome } from '../service/errors';
import type { WorkbenchService } from '../service/service';
import { isRendererUrl } from './rendererUrl';

export function isTrustedSender(
  event: IpcMainInvokeEvent,
  window: WebContents | null,
  rendererUrl: string,
): boolean {
  const frame = event.senderFrame;
  if (!window || event.sender !== window || !frame || frame !== window.mainFrame) return false;
  return isRendererUrl(frame.url, rendererUrl);
}

export function registerHandlers(
  service: Pick<WorkbenchService, 'call'>,
  trusted: (event: IpcMainInvokeEvent) => boolean,
): () => void {
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, async (event, ...args: unknown[]): Promise<CallOutcome<unknown>> => {
      if (!trusted(event)) {
        const message = `refused '${channel}' from an untrusted sender`;
        return { ok: false, error: { code: 'forbidden', message, issues: [] } };
      }
      return callOutcome(service, channel, args);
    });
  }
  return () => CHANNELS.forEach((c) => ipcMain.removeHandler(c));
}
