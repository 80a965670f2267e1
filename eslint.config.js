import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import vue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'coverage/', 'scratch/', 'native/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] },
      globals: globals.browser,
    },
  },
  {
    files: ['**/*.ts', '**/*.vue'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // docs/DESIGN.md (after GitHub Desktop): raw ipcMain only in the one module that checks senders.
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/electron/ipc.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              importNames: ['ipcMain'],
              message: 'register IPC handlers in electron/ipc.ts, which checks every sender',
            },
          ],
        },
      ],
    },
  },
  {
    // docs/DESIGN.md: the engine knows nothing of Electron, SQLite, the store or the service.
    files: ['src-main/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', 'better-sqlite3'],
              message: 'the engine must not import Electron or SQLite',
            },
            {
              group: ['**/store/**', '**/service/**', '**/electron/**', '**/server/**', '**/jobs/**'],
              message: 'the engine must not import the store, service, jobs or transports',
            },
          ],
        },
      ],
    },
  },
  {
    // contract/ is shared with the renderer: no runtime-specific imports.
    files: ['src-main/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'electron', 'better-sqlite3', '@tensorflow/*'],
              message: 'contract/ is runtime-neutral',
            },
          ],
        },
      ],
    },
  },
  {
    // The renderer is a sandboxed page: it reaches the service only through the contract.
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.vue'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src-main/**', '!**/src-main/contract', '!**/src-main/contract/**'],
              message: 'the renderer imports nothing from src-main but the contract',
            },
            {
              group: ['node:*', 'electron', 'better-sqlite3', '@tensorflow/*', 'sharp', 'ws', 'yauzl'],
              message: 'the renderer runs in a sandboxed page: no Node, Electron or main-side modules',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['bin/**/*.mjs', 'scripts/**/*.mjs', 'bench/**/*.mjs', '*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  prettier,
);
