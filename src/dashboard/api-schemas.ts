import { z } from 'zod';
import { backfillRequestSchema } from '../domain/backfill-plan.ts';
import { KEY_STATUSES } from '../queue/backfill-keys.ts';
import { BACKFILL_PHASES, STATES_SHOWN } from '../queue/backfill-status.ts';

/**
 * The JSON API's response bodies, as JSON: what the OpenAPI document
 * (openapi-document.ts) shows and what test/integration/openapi.test.ts
 * checks the running API's answers against, so the two cannot drift apart.
 * The rows are typed in src/db/query.repository.ts and
 * src/dashboard/backfill-json.ts; here they are as they leave the server:
 * a Date is its ISO text, a field left undefined is absent. Objects are
 * strict, so a column added to a query and not here fails the test.
 */

// The document says `format: date-time`; zod's long regex for it would only be noise there.
const timestamp = z.iso.datetime({ offset: true }).meta({
  description: 'ISO 8601 date and time',
  override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
    delete jsonSchema.pattern;
  },
});
const day = z
  .string()
  .regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/)
  .meta({ description: 'a date, YYYY-MM-DD' });
const count = z.int().min(0);

const paperFields = {
  id: z.string().meta({ description: 'arXiv id', example: '2407.21783' }),
  title: z.string(),
  upvotes: count,
  num_comments: count.nullable(),
  published_at: timestamp.nullable(),
  listed_on: day.nullable().meta({ description: "the paper's first listing date (a daily page's), YYYY-MM-DD" }),
  repo: z.string().nullable().meta({ description: "the paper's best repository, owner/name" }),
  repo_stars: count.nullable(),
  repo_language: z.string().nullable(),
  repo_license: z.string().nullable().meta({ description: 'SPDX id' }),
};

export const paperRowSchema = z
  .strictObject({
    ...paperFields,
    rank: z.number().min(0).optional().meta({ description: 'with q only: how well the paper matches (4 decimals)' }),
  })
  .meta({ id: 'PaperRow' });

/** A page of a list: its items and, when the page is full, the cursor of the next one. */
const pageOf = <T extends z.ZodType>(item: T) =>
  z.strictObject({
    items: z.array(item),
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: 'give it as `cursor` for the next page; null on the last page' }),
  });

export const paperPageSchema = pageOf(paperRowSchema).meta({ id: 'PaperPage' });

const pageCounts = {
  daily_rank: count.nullable(),
  citing_models: count.nullable(),
  citing_datasets: count.nullable(),
  citing_spaces: count.nullable(),
  collections: count.nullable(),
};
const detailStatus = z.enum(['ok', 'not_found']);

export const paperDetailSchema = z
  .strictObject({
    paper: z.strictObject({
      ...paperFields,
      organization: z.string().nullable(),
      ai_keywords: z.array(z.string()).nullable(),
      last_listed_on: day.nullable(),
      first_seen_at: timestamp.nullable(),
      last_seen_at: timestamp.nullable(),
      repo_archived: z.boolean().nullable(),
      repo_pushed_at: timestamp.nullable(),
      abstract: z.string().nullable(),
      authors: z.array(z.string()).nullable(),
      ai_summary: z.string().nullable(),
      project_page: z.string().nullable(),
      submitted_by: z.string().nullable(),
      detail_status: detailStatus
        .nullable()
        .meta({ description: "what the paper's own page said; null until fetched" }),
      ...pageCounts,
    }),
    listings: z.array(
      z.strictObject({
        source: z.string(),
        kind: z.string(),
        key: z.string(),
        listed_on: day,
        rank: z.int(),
        upvotes: count,
        first_seen_at: timestamp,
        last_seen_at: timestamp,
      }),
    ),
    upvoteHistory: z.array(z.strictObject({ observed_at: timestamp, upvotes: count, num_comments: count.nullable() })),
    repos: z.array(
      z.strictObject({
        ref: z.string(),
        source: z.string(),
        status: z.enum(['pending', 'resolved', 'not_found']).meta({
          description:
            'resolved: the reference leads to a live repository (the fields below); not_found: GitHub answers 404 for the reference or for the repository it led to; pending: not looked up yet. The repository fields are null and star_history empty unless resolved.',
        }),
        full_name: z.string().nullable(),
        stars: count.nullable(),
        forks: count.nullable(),
        language: z.string().nullable(),
        license_spdx: z.string().nullable(),
        archived: z.boolean().nullable(),
        pushed_at: timestamp.nullable(),
        star_history: z.array(z.strictObject({ observed_at: timestamp, stars: count, forks: count })),
      }),
    ),
    page: z
      .strictObject({
        status: detailStatus,
        submitter_organization: z.string().nullable(),
        github_repo_added_by: z.string().nullable(),
        ...pageCounts,
        observed_at: timestamp,
        next_check_at: timestamp.nullable(),
      })
      .optional()
      .meta({ description: "the paper's own page as last seen; absent until it is fetched" }),
    pageHistory: z.array(z.strictObject({ observed_at: timestamp, ...pageCounts })),
  })
  .meta({ id: 'PaperDetail' });

const repoId = z
  .string()
  .regex(/^[0-9]+$/)
  .meta({ description: 'GitHub repository id' });

export const repoRowSchema = z
  .strictObject({
    id: repoId,
    full_name: z.string(),
    stars: count,
    forks: count,
    language: z.string().nullable(),
    license_spdx: z.string().nullable(),
    archived: z.boolean(),
    pushed_at: timestamp.nullable(),
    papers: count.meta({ description: 'how many papers point to it' }),
  })
  .meta({ id: 'RepoRow' });

export const risingRepoRowSchema = z
  .strictObject({
    repo_id: repoId,
    full_name: z.string(),
    stars: count,
    growth: z.int().nullable().meta({ description: 'stars gained over the window; null when unknown' }),
    language: z.string().nullable(),
    papers: z.array(z.string()).meta({ description: 'ids of the papers that point to it' }),
  })
  .meta({ id: 'RisingRepoRow' });

export const repoPageSchema = pageOf(z.union([repoRowSchema, risingRepoRowSchema])).meta({
  id: 'RepoPage',
  description: 'RepoRow items by stars; RisingRepoRow items with rising=true',
});

const backfillFields = {
  id: z.string(),
  request: backfillRequestSchema.nullable().meta({ description: "null when the job's data is not a backfill" }),
  state: z.enum(BACKFILL_PHASES).meta({
    description:
      'queued (not started, or its fetches wait behind queued_behind), running, cancelling, cancelled, completed, failed',
  }),
  job_state: z.enum([...STATES_SHOWN, 'unknown' as const]).meta({ description: "the BullMQ job's own state" }),
  queued_behind: z
    .array(z.string())
    .meta({ description: 'ids of the earlier backfills whose fetches are ahead of this one in the same queue' }),
  created_at: timestamp,
  finished_at: timestamp.nullable(),
  done: count,
  total: count,
  counts: z.strictObject({
    skipped: count,
    loaded: count,
    empty: count,
    not_modified: count,
    failed: count,
    cancelled: count,
  }),
  failed: z.array(z.strictObject({ key: z.string(), error: z.string() })),
  papers: z
    .strictObject({ done: count, total: count, not_found: count, failed: count })
    .nullable()
    .meta({ description: "with details: the listed papers' own pages; null until planned" }),
  error: z.string().nullable().meta({ description: 'why the backfill itself failed' }),
  cancel_requested: z.boolean(),
  seconds_left: count.nullable().meta({ description: 'estimated seconds until the last key is fetched' }),
};

export const backfillSchema = z.strictObject(backfillFields).meta({ id: 'Backfill' });

export const backfillKeySchema = z
  .strictObject({
    key: z.string(),
    status: z.enum(KEY_STATUSES).meta({
      description: 'pending: not fetched yet; skipped: already fetched before (papers: as then, 0 when empty)',
    }),
    papers: count.nullable().meta({ description: 'papers the key listed; null when not known' }),
    error: z.string().nullable().meta({ description: 'why its fetch failed' }),
    job: z
      .strictObject({ queue: z.string(), id: z.string() })
      .nullable()
      .meta({ description: 'its fetch job while queued or running (finished fetch jobs are removed)' }),
  })
  .meta({ id: 'BackfillKey' });

export const backfillDetailSchema = z
  .strictObject({ ...backfillFields, keys: z.array(backfillKeySchema).meta({ description: 'in key order' }) })
  .meta({ id: 'BackfillDetail' });

export const backfillPageSchema = pageOf(backfillSchema).meta({ id: 'BackfillPage' });

export const errorSchema = z.strictObject({ error: z.string() }).meta({ id: 'Error' });
