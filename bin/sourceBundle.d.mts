/** Where the sources and their bundles are, for a checkout (bin/sourceBundle.mjs). */
export interface SourceLayout {
  /** The checkout: the folder of the workbench's package.json. */
  root: string;
  /** Its src-main. */
  sources: string;
  /** Where bundles are kept, one folder per hash of the sources. */
  cache: string;
}

/** The folder of the bundle of the sources as they are now (cli.mjs, trainerEntry.mjs, the workers), built if need be. */
export function sourceBundle(layout: Pick<SourceLayout, 'sources' | 'cache'>): string;

/** The nearest folder at or above `from` holding the workbench's package.json (a checkout or the app). */
export function workbenchRoot(from: string): string | null;

/** The checkout above `from` (a folder), or null where there are no sources (the desktop app's bundle). */
export function sourceLayout(from: string): SourceLayout | null;
