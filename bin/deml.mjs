#!/usr/bin/env node
// The `deml` command. The sources are TypeScript, run through tsx's loader so the command works
// straight after `npm install`, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src-main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
