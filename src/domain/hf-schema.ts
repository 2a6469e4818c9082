import { z } from 'zod';
import { PG_INTEGER_MAX } from './input-rules.ts';

/**
 * One entry of a Hugging Face daily-papers list. The DailyPapers blob's
 * `dailyPapers[]` and the JSON API's `/api/daily_papers` array share this
 * shape, so both transports go through this one schema and one mapping.
 *
 * Objects are loose: fields Hugging Face adds later are kept (and stored in
 * `raw`) instead of failing validation. Optional fields are absent, not null,
 * in real captures; `.nullish()` tolerates a null anyway where a null would
 * carry the same meaning as absence.
 */
const hfUserSchema = z.looseObject({
  name: z.string().optional(),
  user: z.string().optional(),
  fullname: z.string().optional(),
});

export const hfAuthorSchema = z.looseObject({
  name: z.string(),
  hidden: z.boolean().optional(),
});

const hfOrganizationSchema = z.looseObject({
  name: z.string(),
  fullname: z.string().optional(),
});

const isoDateTime = z.iso.datetime({ offset: true });
/** A count Postgres stores as `integer`: a larger one is not a count of upvotes or comments but damage. */
const count = z.number().int().nonnegative().max(PG_INTEGER_MAX);

export const hfPaperSchema = z.looseObject({
  id: z.string().min(1),
  title: z.string(),
  summary: z.string(),
  authors: z.array(hfAuthorSchema),
  publishedAt: isoDateTime,
  upvotes: count,
  discussionId: z.string().nullish(),
  githubRepo: z.string().nullish(),
  /** Who linked githubRepo ("user", …): paper pages, /api/papers/<id> and listings since 2026 carry it. */
  githubRepoAddedBy: z.string().nullish(),
  githubStars: count.nullish(),
  projectPage: z.string().nullish(),
  ai_summary: z.string().nullish(),
  ai_keywords: z.array(z.string()).nullish(),
  organization: hfOrganizationSchema.nullish(),
  submittedOnDailyAt: isoDateTime.nullish(),
  submittedOnDailyBy: hfUserSchema.nullish(),
});

export const hfDailyPaperEntrySchema = z.looseObject({
  paper: hfPaperSchema,
  title: z.string().optional(),
  publishedAt: isoDateTime.optional(),
  numComments: count.optional(),
  thumbnail: z.string().nullish(),
  submittedBy: hfUserSchema.nullish(),
  organization: hfOrganizationSchema.nullish(),
});

export type HfDailyPaperEntry = z.infer<typeof hfDailyPaperEntrySchema>;

/** The 2024 layout's DailyPapers props (canSubmit, date, dailyPapers, nextDate, prevDate, publisher). */
export const hfDailyPapersPropsSchema = z.looseObject({
  dailyPapers: z.array(z.unknown()),
  date: z.string().optional(),
});

/** One entry of a paper page's discussion: only its type is read (hidden comments are entries too). */
const hfPaperCommentSchema = z.looseObject({
  type: z.string().optional(),
});

/**
 * A paper page's PaperContent props (`/papers/<id>`): the paper (the same
 * object as a listing entry's `paper`), its discussion, the first upvoters'
 * profiles (as many as the page shows, not all), its daily rank and its
 * submitter's organization, besides the viewer's own flags (canSubmit,
 * upvoted, …), which are kept here like any unknown field and left out of
 * what is stored.
 */
export const hfPaperContentPropsSchema = z.looseObject({
  paper: hfPaperSchema,
  comments: z.array(hfPaperCommentSchema).optional(),
  upvoters: z.array(z.unknown()).optional(),
  dailyPaperRank: count.nullish(),
  submitterOrganization: hfOrganizationSchema.nullish(),
});
