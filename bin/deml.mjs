#!/usr/bin/env node
// The `deml` command. The sources are TypeScript, run through tsx's loader so the command works
// straight after `npm install`, with no build step.
import { register } from 'tsx/esm/api';

register();
// `deml … | head` closes the pipe early: that ends the output, not with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
const { main } = await import('../src-main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
