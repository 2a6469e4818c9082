import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root (the folder holding package.json and sql/), whether
 * this code runs from its sources (src/paths.ts) or from the build
 * (dist/src/paths.js): files that are not code, such as the migrations, are
 * found from here and never copied into dist/.
 */
function projectRoot(): string {
  const above = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  return path.basename(above) === 'dist' ? path.dirname(above) : above;
}

export const PROJECT_ROOT = projectRoot();
