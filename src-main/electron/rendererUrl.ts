/**
 * Whether a URL is our renderer's: the dev server's origin (compared as an origin, so that
 * "http://localhost:5173.evil.example" is not "http://localhost:5173"), or a file inside the
 * built renderer's folder. Pure, so that it is tested without Electron.
 */
export function isRendererUrl(url: string, rendererUrl: string): boolean {
  let u: URL;
  let r: URL;
  try {
    u = new URL(url);
    r = new URL(rendererUrl);
  } catch {
    return false;
  }
  if (r.protocol === 'file:') {
    const folder = r.pathname.endsWith('/') ? r.pathname : r.pathname.replace(/[^/]*$/, '');
    return u.protocol === 'file:' && u.host === r.host && u.pathname.startsWith(folder);
  }
  return (r.protocol === 'http:' || r.protocol === 'https:') && u.origin === r.origin;
}

/**
 * The dev server's URL, honoured only when the app is not packaged: a packaged app always loads
 * its own files, whatever the environment says.
 */
export function devServerUrl(env: NodeJS.ProcessEnv, packaged: boolean): string | undefined {
  return packaged ? undefined : env.ELECTRON_RENDERER_URL || undefined;
}
