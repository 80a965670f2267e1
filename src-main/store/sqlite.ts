/**
 * better-sqlite3 with the native binding that fits the running process.
 *
 * One `npm install` serves two ABIs: plain Node (tests, CLI, `deml serve`) uses the module's own
 * build; Electron (the app's main and utility processes) uses a second build of the same sources
 * that `scripts/build-native.mjs` (postinstall) places under native/electron-<modules>/. Nothing
 * has to be rebuilt by hand when switching between the two.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type SqliteDatabase = Database.Database;

/** The project root: where package.json and native/ live, in sources and in the app bundle. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** Where the Electron build of the binding is expected, for this Electron's module ABI. */
export function electronBindingPath(
  versions: NodeJS.ProcessVersions = process.versions,
  root = projectRoot(),
): string {
  return join(root, 'native', `electron-${versions.modules}`, 'better_sqlite3.node');
}

/** The nativeBinding option for this process: undefined (the module's own) under plain Node. */
export function nativeBindingFor(versions: NodeJS.ProcessVersions = process.versions): string | undefined {
  if (!versions.electron) return undefined;
  const path = electronBindingPath(versions);
  if (!existsSync(path)) {
    throw new Error(
      `the Electron build of better-sqlite3 is missing (${path}); run \`npm run build:native\` ` +
        `(it needs the network once to fetch Electron ${versions.electron}'s headers or a prebuilt binary)`,
    );
  }
  return path;
}

export function openSqlite(file: string, options: { readonly?: boolean } = {}): SqliteDatabase {
  const nativeBinding = nativeBindingFor();
  return new Database(file, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
    ...(nativeBinding ? { nativeBinding } : {}),
  });
}
