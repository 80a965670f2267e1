/**
 * The renderer's one way to the service: the preload's functions in the desktop app, HTTP +
 * WebSocket in browser mode (`deml serve`). Both speak the same contract.
 */
import type {
  ApiErrorPayload,
  Args,
  CallOutcome,
  Channel,
  DemlEvents,
  EventName,
  RendererApi,
  Result,
} from '../../../src-main/contract/api';

/** A failed call, with the service's code and per-field issues (the same on both transports). */
export class ApiError extends Error {
  readonly code: string;
  readonly issues: ApiErrorPayload['issues'];
  constructor(payload: ApiErrorPayload) {
    super(payload.message);
    this.name = 'ApiError';
    this.code = payload.code;
    this.issues = payload.issues;
  }
}

type Listener = (payload: unknown) => void;

export interface Transport {
  call<C extends Channel>(channel: C, args: Args<C>): Promise<Awaited<Result<C>>>;
  on<E extends EventName>(event: E, listener: (payload: DemlEvents[E]) => void): () => void;
  /**
   * Called each time the event stream opens, the first time included: what the service sent
   * while it was closed is lost, so what is shown must be fetched again.
   */
  onConnected(listener: () => void): () => void;
}

export interface DesktopBridge extends RendererApi {
  on<E extends EventName>(event: E, listener: (payload: DemlEvents[E]) => void): () => void;
}

export function desktopTransport(bridge: DesktopBridge): Transport {
  return {
    call: async (channel, args) => {
      let outcome: CallOutcome<unknown>;
      try {
        outcome = await (bridge[channel] as (...a: unknown[]) => Promise<CallOutcome<unknown>>)(...args);
      } catch (e) {
        // IPC itself failed (no handler, the main process going away). Electron prefixes remote
        // errors: "Error invoking remote method 'x': Error: message".
        const message = (e as Error).message.replace(
          /^Error invoking remote method '[^']+': (\w*Error: )?/,
          '',
        );
        throw new ApiError({ code: 'internal', message, issues: [] });
      }
      if (!outcome.ok) throw new ApiError(outcome.error);
      return outcome.result as never;
    },
    on: (event, listener) => bridge.on(event, listener),
    // IPC delivers every event from the window's first moment: nothing is ever missed.
    onConnected: () => () => undefined,
  };
}

function browserTransport(): Transport {
  const listeners = new Map<string, Set<Listener>>();
  const connected = new Set<() => void>();
  let socket: WebSocket | null = null;
  let retry = 500;
  const connect = () => {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/events`;
    socket = new WebSocket(url);
    // Events sent before this moment (while the page loaded, or the stream was down) never
    // arrive: a run could show "queued" after it failed. The stores fetch what they show again.
    socket.onopen = () => {
      retry = 500;
      for (const l of connected) l();
    };
    socket.onmessage = (m) => {
      const { event, payload } = JSON.parse(m.data as string) as { event: string; payload: unknown };
      for (const l of listeners.get(event) ?? []) l(payload);
    };
    // The server restarted or the network blinked: reconnect, backing off.
    socket.onclose = () => {
      socket = null;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10_000);
    };
  };
  return {
    call: async (channel, args) => {
      const res = await fetch(`/api/${channel}`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ args }),
      });
      const body = (await res.json().catch(() => ({}))) as { result?: unknown } & Partial<ApiErrorPayload>;
      if (!res.ok) {
        throw new ApiError({
          code: body.code ?? 'internal',
          message: body.message ?? `${res.status} ${res.statusText}`,
          issues: body.issues ?? [],
        });
      }
      return body.result as never;
    },
    on: (event, listener) => {
      if (!socket) connect();
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as Listener);
      return () => set.delete(listener as Listener);
    },
    onConnected: (listener) => {
      if (!socket) connect();
      connected.add(listener);
      return () => connected.delete(listener);
    },
  };
}

const bridge = (window as unknown as { deml?: DesktopBridge }).deml;
const transport: Transport = bridge ? desktopTransport(bridge) : browserTransport();

export const api = {
  mode: bridge ? ('desktop' as const) : ('browser' as const),
  call: <C extends Channel>(channel: C, ...args: Args<C>) => transport.call(channel, args),
  on: <E extends EventName>(event: E, listener: (payload: DemlEvents[E]) => void) =>
    transport.on(event, listener),
  onConnected: (listener: () => void) => transport.onConnected(listener),
};
