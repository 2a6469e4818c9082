#!/usr/bin/env node
// Runs the compiled build (dist/, from `npm run build`, which `npm ci` runs too) when it is there
// and no source is newer than it; otherwise the TypeScript sources through tsx. So a fresh clone
// works right after `npm ci`, production images need neither tsx nor TypeScript, and an edited
// source is never shadowed by a stale build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'src', 'cli.js');

/** The newest modification time of the files below `dir` (0 when it does not exist: no sources shipped). */
function newestMtime(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function buildIsCurrent() {
  if (!existsSync(built)) return false;
  const sources = Math.max(newestMtime(path.join(root, 'src')), newestMtime(path.join(root, 'jobs')));
  return sources <= statSync(built).mtimeMs;
}

if (buildIsCurrent()) {
  await import(built);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(
      'paperboy: no current build in dist/ and tsx is not installed: run `npm run build` (or `npm ci` with dev dependencies)\n',
    );
    process.exit(2);
  }
  register();
  await import('../src/cli.ts');
}
