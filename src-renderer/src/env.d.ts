/// <reference types="vite/client" />
import type { RendererApi } from '../../src-main/contract/api';

declare global {
  interface Window {
    /** Present in the desktop app (preload); absent in browser mode. */
    deml?: RendererApi;
  }
}
