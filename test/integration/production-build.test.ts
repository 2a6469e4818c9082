import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { readFixture, UpstreamServer } from '../support/upstream-server.ts';
import { PROJECT_ROOT } from '../../src/paths.ts';

const run = promisify(execFile);
const ROOT = PROJECT_ROOT;

/**
 * The Dockerfile's runtime stage, rebuilt without a container engine: the
 * files its COPY lines name, the build stage's dist/ (compiled here with the
 * same tsconfig), and the stage's `npm ci --omit=dev …` from the local npm
 * cache (offline: no test reaches the network). The compiled CLI must run
 * from that tree alone, with neither tsx nor TypeScript in it.
 */
describe('the production tree (the Dockerfile runtime stage)', () => {
  const hf = new UpstreamServer();
  let tree: string;
  let db: TestDatabase;

  beforeAll(async () => {
    tree = await mkdtemp(path.join(os.tmpdir(), 'paperboy-runtime-'));
    const dockerfile = await readFile(path.join(ROOT, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.indexOf(' AS runtime'));
    const copied = [...runtime.matchAll(/^COPY (--from=build )?(.+) (\S+)$/gm)].map((match) => ({
      fromBuild: match[1] !== undefined,
      sources: match[2]!.split(' '),
      target: match[3]!,
    }));
    expect(copied).toEqual([
      { fromBuild: false, sources: ['package.json', 'package-lock.json'], target: './' },
      { fromBuild: true, sources: ['/app/dist'], target: './dist' },
      { fromBuild: false, sources: ['sql'], target: './sql' },
      { fromBuild: false, sources: ['bin'], target: './bin' },
    ]);
    // The build stage's dist/, compiled the same way into this tree.
    await run(process.execPath, [
      path.join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      path.join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      path.join(tree, 'dist'),
    ]);
    for (const copy of copied.filter((entry) => !entry.fromBuild)) {
      for (const source of copy.sources) {
        const target = copy.target === './' ? source : copy.target;
        await cp(path.join(ROOT, source), path.join(tree, target), { recursive: true });
      }
    }
    // The stage's own install command, from the local npm cache.
    const install = /^RUN npm (ci [^&\n]+?)\s*(&&|$)/m.exec(runtime)?.[1]?.split(' ');
    expect(install).toContain('--omit=dev');
    await run('npm', [...install!, '--offline', '--no-audit', '--no-fund'], { cwd: tree });
    await hf.start();
    hf.route('/papers/date/2024-08-01', { body: readFixture('hf-html/hf-papers-date-2024-08-01.html') });
    db = await createTestDatabase();
  }, 300_000);

  afterAll(async () => {
    await hf.stop();
    await db?.drop();
    await rm(tree, { recursive: true, force: true });
  });

  it('holds no tsx and no TypeScript, and no sources', () => {
    expect(existsSync(path.join(tree, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(path.join(tree, 'node_modules', 'typescript'))).toBe(false);
    expect(existsSync(path.join(tree, 'src'))).toBe(false);
    expect(existsSync(path.join(tree, 'dist', 'src', 'cli.js'))).toBe(true);
  });

  it('runs the compiled CLI: --help, and ingest day against a local Hugging Face into Postgres', async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production' };
    const help = await run(process.execPath, ['dist/src/cli.js', '--help'], { cwd: tree, env });
    expect(help.stdout).toMatch(/^Usage: paperboy/);
    // The image's entry point picks the build (no sources beside it).
    const viaBin = await run(process.execPath, ['bin/paperboy.js', '--help'], { cwd: tree, env });
    expect(viaBin.stdout).toBe(help.stdout);

    const ingest = await run(process.execPath, ['dist/src/cli.js', 'ingest', 'day', '2024-08-01', '--no-enrich'], {
      cwd: tree,
      env: {
        ...env,
        DATABASE_URL: db.url,
        HF_BASE_URL: hf.baseUrl,
        GITHUB_API_URL: 'http://127.0.0.1:9',
        LOG_LEVEL: 'warn',
      },
    });
    expect(ingest.stdout).toMatch(/loaded, 13 papers/);
    const { rows } = await db.pool.query(`select count(*)::int as n from listings where key = '2024-08-01'`);
    expect(rows[0].n).toBe(13);
  });
});
