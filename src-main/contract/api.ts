/**
 * The typed contract between the renderer and the service: one channel → signature map, used by
 * the Electron IPC transport (preload + main) and, later, the HTTP/WebSocket transport.
 * Only named functions of this map are exposed to the renderer.
 */

export interface AppInfo {
  name: string;
  version: string;
  /** Runtime versions, for bug reports. */
  versions: Record<string, string>;
  platform: string;
}

export interface DemlApi {
  'app:info': () => AppInfo;
}

export type Channel = keyof DemlApi;
export type Args<C extends Channel> = Parameters<DemlApi[C]>;
export type Result<C extends Channel> = ReturnType<DemlApi[C]>;

/** The channels the preload may forward. Adding a channel here is the only way to expose one. */
export const CHANNELS = ['app:info'] as const satisfies readonly Channel[];

/** What the preload exposes on window.deml: each channel as an async function. */
export type RendererApi = { [C in Channel]: (...args: Args<C>) => Promise<Result<C>> };
