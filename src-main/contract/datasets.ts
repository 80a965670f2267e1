/**
 * What the importer, the API, the CLI and the datasets view agree on about datasets: the import
 * formats and what a dataset may be called.
 */

export const IMPORT_FORMATS = ['omniglot', 'folder', 'miniimagenet'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Each format as the datasets view offers it. */
export const IMPORT_FORMAT_LABELS: Readonly<Record<ImportFormat, string>> = {
  folder: 'image folder (one folder per class)',
  omniglot: 'Omniglot (zips or folders)',
  miniimagenet: 'miniImageNet (with its split CSVs)',
};

/** A dataset's name is its folder in the data directory. */
export const DATASET_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const DATASET_NAME_RULE =
  "1–64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit";
