/** The desktop shell's trust checks on URLs, without Electron: origins compared, not prefixes. */
import { describe, expect, it } from 'vitest';
import { devServerUrl, isRendererUrl } from '../../src-main/electron/rendererUrl';

describe('which URLs are the renderer', () => {
  it('the dev server by origin: a longer host that starts the same is another site', () => {
    const dev = 'http://localhost:5173';
    expect(isRendererUrl('http://localhost:5173/', dev)).toBe(true);
    expect(isRendererUrl('http://localhost:5173/#/runs/3', dev)).toBe(true);
    expect(isRendererUrl('http://localhost:5173.evil.example/', dev)).toBe(false);
    expect(isRendererUrl('http://localhost:51730/', dev)).toBe(false);
    expect(isRendererUrl('https://localhost:5173/', dev)).toBe(false);
    expect(isRendererUrl('not a url', dev)).toBe(false);
  });

  it('the built renderer by folder: files beside it are not it', () => {
    const built = 'file:///opt/deml/resources/app/out/renderer/';
    expect(isRendererUrl('file:///opt/deml/resources/app/out/renderer/index.html#/', built)).toBe(true);
    expect(isRendererUrl('file:///opt/deml/resources/app/out/renderer-evil/index.html', built)).toBe(false);
    expect(isRendererUrl('file:///etc/passwd', built)).toBe(false);
    expect(isRendererUrl('http://localhost:5173/', built)).toBe(false);
  });

  it('ELECTRON_RENDERER_URL is honoured in development only', () => {
    const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173' };
    expect(devServerUrl(env, false)).toBe('http://localhost:5173');
    expect(devServerUrl(env, true)).toBeUndefined();
    expect(devServerUrl({}, false)).toBeUndefined();
  });
});
