/**
 * `node scripts/parallel.mjs typecheck lint`: run npm scripts side by side (the typecheck and lint
 * before the tests: about 38 s one after the other on 2 cores, about 24 s together), each one's
 * output printed whole when it ends so the two never interleave; exits non-zero if any failed.
 */
import { spawn } from 'node:child_process';

const scripts = process.argv.slice(2);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const results = await Promise.all(
  scripts.map(
    (name) =>
      new Promise((resolve) => {
        const child = spawn(npm, ['run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        child.on('error', (e) => resolve({ name, code: 1, output: `${output}${e.message}\n` }));
        child.on('close', (code, signal) => {
          process.stdout.write(
            `> npm run ${name}: ${code === 0 ? 'ok' : `failed (${signal ?? code})`}\n${output}`,
          );
          resolve({ name, code: code ?? 1, output });
        });
      }),
  ),
);
const failed = results.filter((r) => r.code !== 0).map((r) => r.name);
if (failed.length) {
  process.stderr.write(`failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
