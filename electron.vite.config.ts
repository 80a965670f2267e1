import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';

// DEML_OUT_DIR lets the bundle test build elsewhere while `deml serve` serves out/renderer.
const out = process.env.DEML_OUT_DIR ?? resolve(__dirname, 'out');

export default defineConfig({
  main: {
    build: {
      outDir: resolve(out, 'main'),
      // The trainer entry is bundled beside the main process: the app starts it in utility processes.
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/electron/main.ts'),
          trainer: resolve(__dirname, 'src-main/jobs/trainerEntry.ts'),
          // Started by the trainer for the other tasks of each meta-batch (engine/parallel).
          taskWorker: resolve(__dirname, 'src-main/engine/parallel/taskWorker.ts'),
          // A run of a preset trained beside others (engine/parallel/trainInWorker.ts).
          runWorker: resolve(__dirname, 'src-main/engine/parallel/runWorker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(out, 'preload'),
      // A sandboxed preload must be CommonJS.
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    build: {
      outDir: resolve(out, 'renderer'),
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } },
    },
    plugins: [vue()],
  },
});
