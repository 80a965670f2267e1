/**
 * The desktop shell: one window, contextIsolation and sandbox on, no Node in the renderer, a
 * strict Content-Security-Policy, navigation and new windows denied. The service runs here;
 * training never runs in this process or the window's: each run gets a utility process.
 */
import { app, BrowserWindow, dialog, session, shell } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import icon from '../../resources/icon.png?asset';
import { EVENTS, type AppInfo } from '../contract/api';
import { resolveDataDir } from '../layout/dataDirectory';
import { WorkbenchService } from '../service/service';
import { isTrustedSender, registerHandlers } from './ipc';
import { devServerUrl, isRendererUrl } from './rendererUrl';
import { utilityProcessLauncher } from './trainerLauncher';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'", // Vue's scoped style attributes
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

// The dev server only in development: a packaged app ignores ELECTRON_RENDERER_URL.
const devServer = devServerUrl(process.env, app.isPackaged);
const rendererIndex = join(__dirname, '../renderer/index.html');
const rendererUrl = devServer ?? pathToFileURL(rendererIndex).href.replace(/index\.html$/, '');

let mainWindow: BrowserWindow | null = null;

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1280,
    height: 800,
    show: false,
    title: 'DEML Workbench',
    // Windows and Linux take the window's icon from here; macOS from the app bundle.
    icon,
    webPreferences: {
      preload: join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  mainWindow.on('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => (mainWindow = null));
  mainWindow.webContents.setWindowOpenHandler(({ url }) => {
    // External links open in the user's browser, never in a new app window.
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  mainWindow.webContents.on('will-navigate', (event, url) => {
    if (!isRendererUrl(url, rendererUrl)) event.preventDefault();
  });
  if (devServer) void mainWindow.loadURL(devServer);
  else void mainWindow.loadFile(rendererIndex);
}

void app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  // No permission (camera, notifications, clipboard…) is asked for or granted, and none reads as granted.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  let service: WorkbenchService;
  try {
    service = WorkbenchService.open({
      dataDir: resolveDataDir(),
      appVersion: app.getVersion(),
      mode: 'owner',
      ownerName: 'DEML Workbench app',
      launcher: utilityProcessLauncher(join(__dirname, 'trainer.js')),
      // Cluster jobs start the same bundled entry, with this binary as Node (ELECTRON_RUN_AS_NODE).
      slurm: { entry: join(__dirname, 'trainer.js') },
      appInfo: (): AppInfo => ({
        name: app.getName(),
        version: app.getVersion(),
        versions: {
          electron: process.versions.electron ?? '',
          chrome: process.versions.chrome ?? '',
          node: process.versions.node,
        },
        platform: process.platform,
      }),
    });
  } catch (e) {
    // A second instance, a damaged database: say so and stop, touching nothing.
    dialog.showErrorBox('DEML Workbench cannot start', (e as Error).message);
    app.exit(1);
    return;
  }
  registerHandlers(service, (event) => isTrustedSender(event, mainWindow?.webContents ?? null, rendererUrl));
  for (const name of EVENTS) {
    service.on(name, (payload) => mainWindow?.webContents.send('deml:event', name, payload));
  }
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    // Running trainers checkpoint and end as "interrupted", resumable at the next start.
    void service.close(15_000).finally(() => app.quit());
  });
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
