import type { Queue } from 'bullmq';
import type { Config } from '../config.ts';
import { DEFAULT_SCHEDULES, SCHEDULE_NAMES, type ScheduleName } from '../domain/schedule-plan.ts';
import type { Logger } from '../logger.ts';
import { JOBS, SCHEDULER_PREFIX, type PlanSchedulePayload } from './contracts.ts';

export interface ScheduleDefinition {
  name: ScheduleName;
  /** A cron pattern, or `every:<ms>` for a fixed interval (handy in tests). */
  pattern: string;
}

/**
 * The schedules in force: the defaults, overridden by PAPERBOY_SCHEDULES
 * (a name mapped to null removes it). `searches` only runs when there are
 * saved searches.
 *
 * loadConfig has checked the names and patterns already.
 */
export function scheduleDefinitions(config: Config): ScheduleDefinition[] {
  return SCHEDULE_NAMES.flatMap((name): ScheduleDefinition[] => {
    const override = config.service.schedules[name];
    const pattern = override === undefined ? DEFAULT_SCHEDULES[name] : override;
    if (pattern === null) return [];
    if (name === 'searches' && config.service.savedSearches.length === 0) return [];
    return [{ name, pattern }];
  });
}

/**
 * Makes the queue's job schedulers match `definitions`: upserts each (stable
 * ids, so starting the service any number of times registers each once) and
 * removes paperboy schedulers no longer configured. Schedulers never replay
 * missed ticks; the daily schedule catches up on missing days itself.
 */
export async function syncSchedulers(
  queue: Queue,
  definitions: readonly ScheduleDefinition[],
  tz: string,
  logger: Logger,
): Promise<{ registered: string[]; removed: string[] }> {
  const wanted = new Set(definitions.map((definition) => SCHEDULER_PREFIX + definition.name));
  for (const definition of definitions) {
    const every = /^every:(\d+)$/.exec(definition.pattern);
    const repeat = every ? { every: Number(every[1]) } : { pattern: definition.pattern, tz };
    const data: PlanSchedulePayload = { schedule: definition.name };
    await queue.upsertJobScheduler(SCHEDULER_PREFIX + definition.name, repeat, { name: JOBS.planSchedule, data });
  }
  const removed: string[] = [];
  for (const scheduler of await queue.getJobSchedulers(0, -1)) {
    if (scheduler.key.startsWith(SCHEDULER_PREFIX) && !wanted.has(scheduler.key)) {
      await queue.removeJobScheduler(scheduler.key);
      removed.push(scheduler.key);
    }
  }
  logger.info(
    { registered: [...wanted], removed, tz },
    `${wanted.size} schedules registered${removed.length ? `, ${removed.length} removed` : ''}`,
  );
  return { registered: [...wanted], removed };
}
