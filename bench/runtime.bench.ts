import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '../src/queue/contracts.ts';
import { dayRange, DigestUpstream } from '../test/support/digest-upstream.ts';
import { emptyDatabase, median, type Figure } from './harness.ts';
import { runQueue, workerEnv, type PipelineContext } from './pipeline.bench.ts';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The two ways paperboy runs: the compiled build (dist/, what the image runs) and the sources through tsx. */
const RUNTIMES = {
  compiled: (node: string) => [node, path.join(ROOT, 'dist/src/cli.js')],
  tsx: (node: string) => [node, '--import', 'tsx', path.join(ROOT, 'src/cli.ts')],
} as const;
type Runtime = keyof typeof RUNTIMES;

/**
 * The production runtime against the development one, on Node 20 (this
 * process's) and Node 24 (the npm registry's `node` package): `paperboy
 * --help` start time, a worker's idle RSS, and a worker's peak RSS over a
 * `days`-day backfill. The baseline of each figure is the
 * tsx run of the same Node in the same run. Needs `npm run build` first.
 */
export async function benchRuntime(
  context: PipelineContext,
  options: { days: number; repeats: number },
): Promise<Figure[]> {
  const nodes: Record<string, string> = { [`Node ${process.versions.node.split('.')[0]}`]: process.execPath };
  const node24 = execFileSync('npx', ['-y', '-p', 'node@24', 'node', '-p', 'process.execPath'], {
    encoding: 'utf8',
  }).trim();
  nodes[`Node ${execFileSync(node24, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim().split('.')[0]}`] =
    node24;
  const figures: Figure[] = [];
  for (const [label, node] of Object.entries(nodes)) {
    const start: Record<Runtime, number> = { compiled: 0, tsx: 0 };
    const idle: Record<Runtime, number> = { compiled: 0, tsx: 0 };
    for (const runtime of Object.keys(RUNTIMES) as Runtime[]) {
      const command = RUNTIMES[runtime](node);
      await run(command[0]!, [...command.slice(1), '--help']); // warm the file cache
      const times: number[] = [];
      for (let round = 0; round < Math.max(5, options.repeats); round += 1) {
        const started = performance.now();
        await run(command[0]!, [...command.slice(1), '--help']);
        times.push(performance.now() - started);
      }
      start[runtime] = median(times);
      idle[runtime] = await idleWorkerRss(context, [...command, 'worker']);
      context.log(
        `runtime ${label} ${runtime}: --help ${start[runtime].toFixed(0)} ms, idle worker ${idle[runtime].toFixed(0)} MB`,
      );
    }
    figures.push(
      {
        name: `runtime: paperboy --help start time, compiled, ${label}`,
        value: start.compiled,
        unit: 'ms',
        baseline: start.tsx,
        ratio: start.tsx / start.compiled,
        target: '-',
        met: null,
        note: `baseline: the sources through tsx on ${label}, same run; median of ${Math.max(5, options.repeats)}`,
      },
      {
        name: `runtime: idle worker RSS, compiled, ${label}`,
        value: idle.compiled,
        unit: 'MB',
        baseline: idle.tsx,
        ratio: idle.tsx / idle.compiled,
        target: '-',
        met: null,
        note: `baseline: the same worker through tsx; VmRSS 3 s after its workers started`,
      },
    );
  }
  // Peak RSS over a long backfill, compiled against tsx, on each Node.
  const upstream = await new DigestUpstream().start();
  try {
    const range = dayRange(options.days, 30);
    for (const key of range.keys) upstream.page(key);
    for (const [label, node] of Object.entries(nodes)) {
      const peak: Record<Runtime, number> = { compiled: 0, tsx: 0 };
      for (const runtime of Object.keys(RUNTIMES) as Runtime[]) {
        await emptyDatabase(context.pool);
        const result = await runQueue(context, upstream, range, {
          concurrency: 1,
          via: 'html',
          command: [...RUNTIMES[runtime](node), 'worker'],
        });
        peak[runtime] = result.peakRssMb;
        context.log(
          `runtime ${label} ${runtime}: ${options.days}-day backfill in ${result.seconds.toFixed(1)} s, worker peak RSS ${peak[runtime].toFixed(0)} MB`,
        );
      }
      figures.push({
        name: `runtime: worker peak RSS over a ${options.days}-day backfill, compiled, ${label}`,
        value: peak.compiled,
        unit: 'MB',
        baseline: peak.tsx,
        ratio: peak.tsx / peak.compiled,
        target: '< 300 MB',
        met: peak.compiled < 300,
        note: 'baseline: the same backfill with the worker running the sources through tsx; VmHWM',
      });
    }
  } finally {
    await upstream.stop();
  }
  return figures;
}

/** A worker's resident set 3 s after it is ready (its workers registered in Redis). */
async function idleWorkerRss(context: PipelineContext, command: readonly string[]): Promise<number> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const child = spawn(command[0]!, command.slice(1), {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: workerEnv(context, prefix, 'http://127.0.0.1:9'),
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const connection = new Redis(context.redisUrl, { maxRetriesPerRequest: null });
  const backfills = new Queue(QUEUES.backfills, { connection, prefix });
  try {
    const deadline = Date.now() + 60_000;
    while ((await backfills.getWorkersCount()) === 0) {
      if (Date.now() > deadline) throw new Error(`the worker (${command.join(' ')}) did not start`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
  } finally {
    child.kill('SIGTERM');
    await exited;
    await backfills.close();
    connection.disconnect();
  }
}
