#!/usr/bin/env node
// Builds better-sqlite3 a second time for Electron's ABI into native/electron-<abi>/, beside the
// module's own build for Node. src-main/store/sqlite.ts loads the one that fits the process, so
// tests and the CLI (Node) and the app (Electron) all work from one `npm install`, with no
// rebuild when switching. Runs as postinstall; never fails the install: without the network
// (prebuilt binaries and Electron's headers are downloads) it explains and leaves the app to
// say the same when it starts.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(root, 'package.json'));
const say = (s) => process.stderr.write(`build-native: ${s}\n`);

/** npm's own node-gyp: set for lifecycle scripts, else beside the npm that runs with this node. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath &&
      join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
    join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) throw new Error('node-gyp was not found (it comes with npm)');
  return found;
}

/** The headers node-gyp compiled against must be Electron's, for its module ABI. */
function checkHeaders(devdir, version, abi) {
  const header = join(devdir, version, 'include', 'node', 'node_version.h');
  const text = existsSync(header) ? readFileSync(header, 'utf8') : '';
  const m = /#define NODE_MODULE_VERSION (\d+)/.exec(text);
  if (!m || Number(m[1]) !== Number(abi)) {
    throw new Error(
      `compiled against the wrong headers (${m ? `ABI ${m[1]}` : 'none found'}, Electron needs ${abi})`,
    );
  }
}

function main() {
  if (process.env.DEML_SKIP_ELECTRON_NATIVE) return say('skipped (DEML_SKIP_ELECTRON_NATIVE is set)');
  let electronVersion;
  try {
    electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
  } catch {
    return say('electron is not installed; nothing to build');
  }
  const abi = require('node-abi').getAbi(electronVersion, 'electron');
  const target = join(root, 'native', `electron-${abi}`, 'better_sqlite3.node');
  if (existsSync(target)) return say(`Electron ${electronVersion} (ABI ${abi}): already built`);
  const source = dirname(require.resolve('better-sqlite3/package.json'));
  // Work on a copy: building in place would replace the Node build the tests and CLI use.
  const work = mkdtempSync(join(tmpdir(), 'deml-native-'));
  // Electron's headers, never this Node's: npm passes its `nodedir` setting to node-gyp through the
  // environment, which would build a Node binary under an Electron name.
  const devdir = join(work, '.node-gyp');
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^npm_config_(nodedir|devdir|target|runtime|disturl)$/i.test(k),
    ),
  );
  const run = (cmd, args) =>
    execFileSync(cmd, args, { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  try {
    cpSync(source, work, { recursive: true, filter: (p) => !p.includes(`${source}/build`) });
    const built = join(work, 'build', 'Release', 'better_sqlite3.node');
    const attempts = [
      [
        'prebuilt binary',
        () =>
          run(process.execPath, [
            require.resolve('prebuild-install/bin.js'),
            '--runtime=electron',
            `--target=${electronVersion}`,
            `--arch=${process.arch}`,
            `--platform=${process.platform}`,
          ]),
      ],
      [
        'compiled from source',
        () =>
          run(process.execPath, [
            nodeGyp(),
            'rebuild',
            '--release',
            '--runtime=electron',
            `--target=${electronVersion}`,
            '--dist-url=https://electronjs.org/headers',
            `--devdir=${devdir}`,
          ]),
      ],
    ];
    const errors = [];
    for (const [how, attempt] of attempts) {
      try {
        attempt();
        if (!existsSync(built)) throw new Error('no binary was produced');
        if (how === 'compiled from source') checkHeaders(devdir, electronVersion, abi);
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(built, target);
        return say(`Electron ${electronVersion} (ABI ${abi}): ${how} → ${target}`);
      } catch (e) {
        errors.push(
          `${how}: ${String(e.stderr ?? e.message)
            .trim()
            .split('\n')
            .slice(-2)
            .join(' ')}`,
        );
      }
    }
    say(
      `could not build better-sqlite3 for Electron ${electronVersion} (${errors.join('; ')}). ` +
        'The CLI, `deml serve` and the tests do not need it; the desktop app does: run `npm run build:native` with network access.',
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
