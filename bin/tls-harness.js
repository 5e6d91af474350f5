#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx tls-harness` works right after `npm ci`
// with no build step and never runs stale output.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../harness/cli.ts');
process.exitCode = await main(process.argv.slice(2));
