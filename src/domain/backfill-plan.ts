import { z } from 'zod';
import {
  assertNotInFuture,
  daysBefore,
  digestRef,
  periodKey,
  periodStart,
  TRANSPORTS,
  type PeriodKind,
} from './digest-key.ts';
import { describeIssues } from './zod-issues.ts';

/**
 * What a backfill is (a kind and an inclusive range of keys) and which keys
 * it covers. Pure: "today" is handed in. The same schema checks the CLI, the
 * /backfills form, Bull Board's Add-job dialog (as JSON Schema, in the
 * browser) and, again, the worker: the browser's check is a convenience,
 * never the guard.
 */

export const BACKFILL_KINDS = ['day', 'week', 'month'] as const satisfies readonly PeriodKind[];
export type BackfillKind = (typeof BACKFILL_KINDS)[number];

/** Each kind's key form, the pattern of its shape, and a range to show as an example (the form's placeholders). */
export const KEY_FORMS: Record<BackfillKind, { form: string; shape: RegExp; from: string; to: string }> = {
  day: { form: 'YYYY-MM-DD', shape: /^\d{4}-\d{2}-\d{2}$/, from: '2024-08-01', to: '2024-08-10' },
  week: { form: 'YYYY-Www', shape: /^\d{4}-W\d{2}$/, from: '2024-W31', to: '2024-W35' },
  month: { form: 'YYYY-MM', shape: /^\d{4}-\d{2}$/, from: '2024-01', to: '2024-06' },
};

/** The shape of a key of any backfill kind; which kind it must be is checked with the range. */
const backfillKey = z
  .string()
  .regex(/^\d{4}-(\d{2}-\d{2}|W\d{2}|\d{2})$/, 'must be a key of the kind: YYYY-MM-DD, YYYY-Www or YYYY-MM');

export const backfillRequestSchema = z.strictObject({
  kind: z.enum(BACKFILL_KINDS).describe('day, week (ISO) or month'),
  from: backfillKey.describe('first key, inclusive'),
  to: backfillKey.describe('last key, inclusive'),
  force: z.boolean().default(false).describe('fetch keys that are already loaded too'),
  via: z
    .enum(TRANSPORTS)
    .default('api')
    .describe('api (default): the JSON API, whose budget is five times the pages budget; html: the HTML pages'),
  details: z
    .boolean()
    .default(false)
    .describe(
      "also fetch each listed paper's own page once the keys are loaded (the pages budget): citing models, datasets, Spaces, collections, comments, rank",
    ),
});
export type BackfillRequest = z.infer<typeof backfillRequestSchema>;

/** A backfill the caller got wrong: the message says what to change. */
export class BackfillRangeError extends RangeError {
  override name = 'BackfillRangeError';
}

/**
 * Every key from `from` to `to`, in order.
 *
 * @throws BackfillRangeError when a key is not of the kind, `to` is before
 * `from`, the range reaches past today, or it holds more than `maxKeys` keys.
 */
export function backfillKeys(
  request: Pick<BackfillRequest, 'kind' | 'from' | 'to'>,
  options: { today: Date; maxKeys: number },
): string[] {
  const { kind } = request;
  const start = keyStart(kind, request.from, 'from');
  const end = keyStart(kind, request.to, 'to');
  if (end < start) throw new BackfillRangeError(`"to" (${request.to}) is before "from" (${request.from})`);
  try {
    assertNotInFuture(kind, request.to, options.today, `"to" (${request.to})`);
  } catch (error) {
    throw new BackfillRangeError((error as Error).message);
  }
  const keys: string[] = [];
  for (let date = start; date <= end; date = nextStart(kind, date)) {
    keys.push(periodKey(kind, date));
    if (keys.length > options.maxKeys) {
      throw new BackfillRangeError(
        `the range ${request.from} to ${request.to} holds more than ${options.maxKeys} ${kind} keys (PAPERBOY_BACKFILL_MAX_KEYS): split it into smaller backfills`,
      );
    }
  }
  return keys;
}

/** The first UTC day of a key, as a Date, after checking the key is one of the kind. */
function keyStart(kind: BackfillKind, key: string, field: 'from' | 'to'): Date {
  try {
    digestRef(kind, key);
  } catch (error) {
    throw new BackfillRangeError(
      `"${field}": ${(error as Error).message} (a ${kind} backfill takes ${KEY_FORMS[kind].form} keys)`,
    );
  }
  return periodStart(kind, key);
}

function nextStart(kind: BackfillKind, date: Date): Date {
  const next = new Date(date);
  if (kind === 'day') next.setUTCDate(next.getUTCDate() + 1);
  else if (kind === 'week') next.setUTCDate(next.getUTCDate() + 7);
  else next.setUTCMonth(next.getUTCMonth() + 1);
  return next;
}

export type CheckedBackfill = { ok: true; request: BackfillRequest; keys: string[] } | { ok: false; problem: string };

/**
 * The whole check of a backfill someone asks for (the CLI, the /backfills
 * form): the schema, then the range. `fieldPrefix` names the fields the way
 * the caller's user wrote them (`--` on the command line).
 */
export function checkBackfillRequest(
  input: unknown,
  options: { today: Date; maxKeys: number; fieldPrefix?: string },
): CheckedBackfill {
  const misshapen = keyShapeProblem(input, options.fieldPrefix ?? '');
  if (misshapen) return { ok: false, problem: misshapen };
  const parsed = backfillRequestSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problem: describeIssues(parsed.error, { prefix: options.fieldPrefix }) };
  try {
    return { ok: true, request: parsed.data, keys: backfillKeys(parsed.data, options) };
  } catch (error) {
    if (error instanceof BackfillRangeError) return { ok: false, problem: error.message };
    throw error;
  }
}

/**
 * A key not of the chosen kind's shape, named with that kind's form only
 * (the schema's own message has to list every kind's, not knowing which was
 * chosen); undefined when the kind is none of ours or both keys are shaped
 * right (the schema and the range check the rest).
 */
function keyShapeProblem(input: unknown, prefix: string): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const { kind, from, to } = input as Record<string, unknown>;
  if (!BACKFILL_KINDS.includes(kind as BackfillKind)) return undefined;
  const { form, shape, from: example } = KEY_FORMS[kind as BackfillKind];
  for (const [field, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (typeof value === 'string' && !shape.test(value)) {
      const what = value === '' ? 'missing' : `"${value}" is not a ${kind} key`;
      return `${prefix}${field}: ${what}: a ${kind} backfill takes ${form} keys, such as ${example}`;
    }
  }
  return undefined;
}

/** The days a key covers, first and last (YYYY-MM-DD): where its papers are listed. */
export function keyDays(kind: BackfillKind, key: string): { since: string; until: string } {
  const start = periodStart(kind, key);
  const last = nextStart(kind, start);
  last.setUTCDate(last.getUTCDate() - 1);
  return { since: start.toISOString().slice(0, 10), until: last.toISOString().slice(0, 10) };
}

/**
 * The request as JSON Schema, for Bull Board's Add-job dialog: the example
 * (the last seven full days) pre-fills the form and the browser checks what
 * it can. Ranges are checked by the worker.
 */
export function backfillJsonSchema(today: Date): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(backfillRequestSchema, { io: 'input' });
  return {
    ...schema,
    examples: [
      { kind: 'day', from: daysBefore(today, 7), to: daysBefore(today, 1), force: false, via: 'api', details: false },
    ],
  };
}
