import { Job, Queue } from 'bullmq';
import { Command, Option } from 'commander';
import type { Config } from '../config.ts';
import { BACKFILL_KINDS, checkBackfillRequest, type BackfillRequest } from '../domain/backfill-plan.ts';
import { UsageError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { backfillStatus, enqueueBackfill, type BackfillStatus } from '../queue/backfill-status.ts';
import { assertRedisReachable, producerConnection } from '../queue/connection.ts';
import { QUEUES } from '../queue/contracts.ts';
import { queueOptions } from '../queue/job-options.ts';
import { hfRequestBudget, type BudgetReader } from '../queue/request-budget.ts';
import { formatDuration } from '../domain/request-budget.ts';
import { TRANSPORTS } from '../domain/digest-key.ts';
import { resolveRedis } from '../infra/resolve-services.ts';

/**
 * `paperboy backfill`: the same job the dashboard creates, added from the
 * command line. With --wait it follows the job to the end, drawing a
 * progress bar, and exits 1 if any key failed.
 */

const POLL_MS = 500;
const EXIT_FAILED = 1;

interface BackfillOptions {
  kind: BackfillRequest['kind'];
  from: string;
  to: string;
  force?: boolean;
  via: BackfillRequest['via'];
  details?: boolean;
  wait?: boolean;
}

export function backfillCommand(context: () => { config: Config; logger: Logger }): Command {
  return new Command('backfill')
    .exitOverride()
    .showHelpAfterError()
    .description(
      'queue a backfill (one fetch per key of the range, keys already loaded skipped unless --force); workers do the fetching',
    )
    .addOption(new Option('--kind <kind>', 'day, week or month').choices(BACKFILL_KINDS).makeOptionMandatory())
    .requiredOption('--from <key>', 'first key, inclusive: YYYY-MM-DD, YYYY-Www or YYYY-MM')
    .requiredOption('--to <key>', 'last key, inclusive')
    .option('-f, --force', 'fetch keys already loaded too')
    .addOption(
      new Option(
        '--via <transport>',
        'api: the JSON API (its budget is five times the pages budget); html: the HTML pages',
      )
        .choices(TRANSPORTS)
        .default('api'),
    )
    .option(
      '--details',
      "then fetch each listed paper's own page (the pages budget; papers whose detail is stored are skipped unless --force)",
    )
    .option('--wait', 'follow the backfill with a progress bar; exit 1 if keys failed')
    .action(async (options: BackfillOptions) => {
      const { config, logger } = context();
      const request = validRequest(options, config.service.backfillMaxKeys);
      const redis = await resolveRedis(config.redisUrl, config.dataDir, logger);
      await assertRedisReachable(redis.url).catch(async (error: unknown) => {
        await redis.close();
        throw error;
      });
      const connection = producerConnection(redis.url);
      const queue = new Queue(QUEUES.backfills, queueOptions(config, connection));
      try {
        const id = await enqueueBackfill(queue, request.request);
        const { kind, from, to, via, details } = request.request;
        process.stdout.write(
          `backfill #${id} queued: ${kind} ${from} to ${to} via ${via === 'api' ? 'the JSON API' : 'HTML pages'}, ${request.keys} key(s)` +
            `${details ? ", then each listed paper's own page" : ''}\n`,
        );
        if (!options.wait) return;
        if ((await queue.getWorkersCount()) === 0) {
          process.stderr.write(
            'paperboy: no worker is running on the backfills queue yet: the backfill starts when `paperboy worker` or `paperboy start` runs\n',
          );
        }
        const budget = hfRequestBudget(connection, config, logger);
        const status = await follow(queue, id, budget);
        process.stdout.write(describeFinished(status));
        if (status.state !== 'completed' || status.counts.failed > 0 || (status.papers?.failed ?? 0) > 0)
          process.exitCode = EXIT_FAILED;
      } finally {
        await queue.close();
        connection.disconnect();
        await redis.close();
      }
    });
}

function validRequest(options: BackfillOptions, maxKeys: number): { request: BackfillRequest; keys: number } {
  const input = {
    kind: options.kind,
    from: options.from,
    to: options.to,
    force: options.force ?? false,
    via: options.via,
    details: options.details ?? false,
  };
  const checked = checkBackfillRequest(input, { today: new Date(), maxKeys, fieldPrefix: '--' });
  if (!checked.ok) throw new UsageError(checked.problem);
  return { request: checked.request, keys: checked.keys.length };
}

/** Polls until the backfill finishes, redrawing the bar on a terminal (a line per change otherwise). */
async function follow(queue: Queue, id: string, budget: BudgetReader): Promise<BackfillStatus> {
  const terminal = process.stderr.isTTY;
  let shown = '';
  for (;;) {
    const job = await Job.fromId(queue, id);
    if (!job) throw new Error(`backfill #${id} disappeared from the queue (removed from the dashboard?)`);
    const status = await backfillStatus(queue, job, await budget.read());
    const line = progressLine(status);
    if (line !== shown) {
      process.stderr.write(terminal ? `\r${line}\x1b[K` : `${line}\n`);
      shown = line;
    }
    if (status.state === 'completed' || status.state === 'failed') {
      if (terminal) process.stderr.write('\n');
      return status;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const BAR_WIDTH = 30;

export function progressLine(
  status: Pick<BackfillStatus, 'done' | 'total' | 'state' | 'counts' | 'secondsLeft' | 'papers'>,
): string {
  const fraction = status.total === 0 ? (status.state === 'completed' ? 1 : 0) : status.done / status.total;
  const filled = Math.round(fraction * BAR_WIDTH);
  const { loaded, empty, failed } = status.counts;
  const left = status.secondsLeft ? `, ~${formatDuration(status.secondsLeft * 1000)} left` : '';
  const papers = status.papers ? `; paper pages ${status.papers.done}/${status.papers.total}` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${status.done}/${status.total} keys (${Math.floor(fraction * 100)}%) ${status.state}: ${loaded} loaded, ${empty} empty, ${failed} failed${papers}${left}`;
}

function describeFinished(status: BackfillStatus): string {
  if (status.state === 'failed') return `backfill #${status.id} failed: ${status.error ?? 'unknown error'}\n`;
  const { counts } = status;
  const lines = [
    `backfill #${status.id} finished: ${counts.loaded} loaded, ${counts.empty} empty, ${counts.not_modified} not modified, ` +
      `${counts.skipped} skipped (already fetched), ${counts.failed} failed, ${counts.cancelled} cancelled`,
    ...status.failed.map((failure) => `  failed ${failure.key}: ${failure.error}`),
  ];
  if (status.papers) {
    const { total, done, notFound, failed } = status.papers;
    lines.push(
      `paper pages: ${done} of ${total} done (stored ones skipped unless --force), ${notFound} not found, ${failed} failed`,
    );
  }
  return `${lines.join('\n')}\n`;
}
