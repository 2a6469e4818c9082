#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx paperboy` works
// right after `npm ci` with no build step to remember.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
