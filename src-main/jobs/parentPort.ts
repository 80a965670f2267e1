/**
 * The trainer's side of the channel to the service, the same for both ways it can be started:
 * Electron's utilityProcess (process.parentPort) and Node's child_process.fork (process.send).
 */
import type { FromTrainer, ToTrainer } from './messages';

export interface ParentChannel {
  send(message: FromTrainer): Promise<void>;
  onMessage(handler: (message: ToTrainer) => void): void;
  /** The parent went away (crashed or was killed): the trainer must not go on unobserved. */
  onDisconnect(handler: () => void): void;
  close(): void;
}

interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  removeAllListeners(event?: string): void;
}

export function connectToParent(): ParentChannel | null {
  const port = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (port) {
    return {
      send: async (m) => port.postMessage(m),
      onMessage: (h) => port.on('message', (e) => h(e.data as ToTrainer)),
      // A utility process dies with its parent; there is no disconnect to observe.
      onDisconnect: () => undefined,
      close: () => port.removeAllListeners(),
    };
  }
  if (typeof process.send === 'function') {
    return {
      send: (m) =>
        new Promise((resolve) => {
          if (!process.connected) return resolve();
          process.send!(m, undefined, undefined, () => resolve());
        }),
      onMessage: (h) => process.on('message', (m) => h(m as ToTrainer)),
      onDisconnect: (h) => process.on('disconnect', h),
      close: () => {
        process.removeAllListeners('message');
        process.removeAllListeners('disconnect');
        if (process.connected) process.disconnect();
      },
    };
  }
  return null;
}
