/**
 * `deml serve`: the workbench in a browser. Owns the data directory like the app does (queue,
 * trainers as child processes) and serves the renderer and the contract on 127.0.0.1 by default.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { serve } from '../server/server';
import { WorkbenchService } from '../service/service';
import { type FlagValues, defineCommand } from './command';
import { DATA_DIR_FLAG, UsageError, dataDirOf, intFlag } from './usage';
import { APP_VERSION } from './workbench';
import { checkoutRoot } from './checkout';
import { EXECUTOR_FLAGS, executorOf } from './executorFlags';

const SERVE_FLAGS = {
  port: { type: 'string', value: 'N', help: 'the port to listen on (default: 0, any free port)' },
  host: {
    type: 'string',
    value: 'HOST',
    help: 'the address to listen on (default: 127.0.0.1; any other is reachable from other machines)',
  },
  concurrency: { type: 'string', value: 'N', help: 'runs trained at once (default: 1)' },
  'data-dir': DATA_DIR_FLAG,
  ...EXECUTOR_FLAGS,
} as const;

export const SERVE = defineCommand({
  name: 'serve',
  summary: 'the workbench in a browser (HTTP + WebSocket on 127.0.0.1, with an access token)',
  details: 'The executor options say where new runs train by default.',
  options: SERVE_FLAGS,
  run: (values, _args, signal) => serveCommand(values, signal),
});

/** Newest modification time of the files under `dir` (0 when it does not exist). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' }))
    t = Math.max(t, statSync(join(dir, f)).mtimeMs);
  return t;
}

/**
 * The renderer bundle, built on first use and rebuilt when its sources (or the contract it
 * shares) changed since, so a `git pull` never serves a stale UI.
 */
export function ensureRenderer(root = checkoutRoot()): string {
  const dir = join(root, 'out', 'renderer');
  const index = join(dir, 'index.html');
  const sources = Math.max(newest(join(root, 'src-renderer')), newest(join(root, 'src-main', 'contract')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return dir;
  process.stderr.write('building the renderer…\n');
  const bin = join(
    dirname(createRequire(import.meta.url).resolve('electron-vite/package.json')),
    'bin/electron-vite.js',
  );
  const r = spawnSync(process.execPath, [bin, 'build'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0 || !existsSync(join(dir, 'index.html'))) throw new Error('building the renderer failed');
  return dir;
}

async function serveCommand(values: FlagValues<typeof SERVE_FLAGS>, signal: AbortSignal): Promise<number> {
  const port = intFlag('port', values.port, 0);
  if (port !== undefined && port > 65535) throw new UsageError('--port is at most 65535');
  const host = values.host ?? '127.0.0.1';
  const dataDir = dataDirOf(values);
  const rendererDir = ensureRenderer();
  const service = WorkbenchService.open({
    dataDir,
    appVersion: APP_VERSION,
    mode: 'owner',
    ownerName: 'deml serve',
    concurrency: intFlag('concurrency', values.concurrency),
    executor: executorOf(values),
  });
  try {
    const server = await serve({ service, rendererDir, host, port });
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
      process.stderr.write(
        `warning: listening on ${host}, reachable from other machines; anyone with the URL below can run and delete experiments. Use it only on a network you trust.\n`,
      );
    }
    process.stderr.write(`data directory: ${dataDir}\n`);
    process.stdout.write(`DEML Workbench: open ${server.openUrl}\n`);
    await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    process.stderr.write('stopping: running trainers checkpoint and can be resumed…\n');
    await server.close();
    return 0;
  } finally {
    await service.close();
  }
}
