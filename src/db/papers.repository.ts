import { paperContentHash, type CardSighting, type PaperRecord } from '../domain/paper.ts';
import { byteaLiteral, textArrayLiteral } from './pg-literals.ts';
import { inLockOrder } from './lock-order.ts';
import type { PgQueryable } from './queryable.ts';

// 500-row statements: the measured sweet spot for multi-row upserts of paper-sized rows.
const ROWS_PER_STATEMENT = 500;
// Existing hashes are looked up in larger slices: the answer is only id + 16 bytes per row.
const IDS_PER_LOOKUP = 5_000;
const PARAMETERS_PER_ROW = 15;

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface UpsertPapersResult {
  counts: UpsertCounts;
  /**
   * Papers whose observation may add to the metrics history: new ones, other
   * content than stored (even an older observation, which does not replace
   * the row), or the stored content seen earlier than known.
   */
  observedChanges: PaperRecord[];
}

/** What an upsert's `returning (xmax = 0) as inserted` says of each row it wrote: inserted, else updated. */
interface UpsertedRow {
  inserted: boolean;
}

interface PreparedRow {
  paper: PaperRecord;
  rawJson: string;
  hash: Buffer;
}

/**
 * Inserts new papers and updates changed ones, observed at `observedAt`.
 *
 * - Existing rows' content hashes are read (and locked) first, and only new
 *   or changed rows are sent, so an unchanged re-run costs one narrow lookup
 *   and writes no tuple; comparing 16-byte hashes replaces comparing every
 *   wide column.
 * - The newest observation wins, whatever order loads arrive in (see
 *   isWorthWriting); the statement's guard repeats the rule.
 * - A field the observation does not carry (null comment count or
 *   thumbnail: a paper's own page has no thumbnail, its JSON form no
 *   comments) keeps the stored value: unknown is not a change.
 * - Locks are taken in id order (existing rows, then new rows), so
 *   concurrent loads of overlapping digests serialize on shared papers
 *   instead of losing updates.
 *
 * `papers` must not repeat an id (dedupe first).
 */
export async function upsertPapers(
  db: PgQueryable,
  papers: readonly PaperRecord[],
  observedAt: Date,
): Promise<UpsertPapersResult> {
  const prepared = inLockOrder(papers, (paper) => paper.id).map((paper): PreparedRow => {
    const rawJson = JSON.stringify(paper.raw);
    return { paper, rawJson, hash: paperContentHash(paper, rawJson) };
  });
  const candidates: PreparedRow[] = [];
  const observedChanges: PaperRecord[] = [];
  for (let start = 0; start < prepared.length; start += IDS_PER_LOOKUP) {
    const slice = prepared.slice(start, start + IDS_PER_LOOKUP);
    const stored = await lockStoredVersions(
      db,
      slice.map((row) => row.paper.id),
    );
    for (const row of slice) {
      const version = stored.get(row.paper.id);
      if (!version || isWorthWriting(version, row.hash, observedAt)) candidates.push(row);
      if (!version || !version.hash.equals(row.hash) || version.observedAt > observedAt)
        observedChanges.push(row.paper);
    }
  }
  const counts: UpsertCounts = { inserted: 0, updated: 0, unchanged: prepared.length };
  const tally = ({ rows }: { rows: UpsertedRow[] }) => {
    for (const row of rows) {
      if (row.inserted) counts.inserted += 1;
      else counts.updated += 1;
    }
    counts.unchanged -= rows.length;
  };
  // One statement in flight while the next batch's parameters are built:
  // client-side serialization overlaps with the server's work.
  let inFlight: Promise<void> | undefined;
  for (let start = 0; start < candidates.length; start += ROWS_PER_STATEMENT) {
    const batch = candidates.slice(start, start + ROWS_PER_STATEMENT);
    const values = [observedAt, ...batch.flatMap(toParameters)];
    await inFlight;
    inFlight = db
      .query<UpsertedRow>({
        // Full batches reuse one prepared statement per connection: planning a
        // 7,500-parameter insert costs milliseconds every time otherwise.
        name: batch.length === ROWS_PER_STATEMENT ? `paperboy_upsert_papers_${ROWS_PER_STATEMENT}` : undefined,
        text: upsertStatement(batch.length),
        values,
      })
      .then(tally);
  }
  await inFlight;
  return { counts, observedChanges };
}

interface StoredVersion {
  hash: Buffer;
  observedAt: Date;
}

interface StoredVersionRow {
  id: string;
  content_hash: Buffer;
  observed_at: Date;
}

/**
 * Reads the stored hash and observation time of existing rows, locking them
 * (in id order) until the transaction ends. The lock is what prevents a lost
 * update: without it, a concurrent load could change a row after we read it
 * as "unchanged", and our newer observation would never be written.
 * NO KEY UPDATE is what an UPDATE takes anyway, and it lets listings and
 * metrics rows keep referencing the paper meanwhile.
 */
async function lockStoredVersions(db: PgQueryable, ids: string[]): Promise<Map<string, StoredVersion>> {
  const { rows } = await db.query<StoredVersionRow>(
    `select id, content_hash, observed_at from papers where id = any($1::text[]) order by id for no key update`,
    [ids],
  );
  return new Map(rows.map((row) => [row.id, { hash: row.content_hash, observedAt: row.observed_at }]));
}

/**
 * A newer observation with other content replaces the row; an older
 * observation of the same content moves observed_at back (it is the time the
 * current values were first seen). Anything else changes nothing.
 */
function isWorthWriting(stored: StoredVersion, hash: Buffer, observedAt: Date): boolean {
  const sameContent = stored.hash.equals(hash);
  return sameContent ? stored.observedAt > observedAt : stored.observedAt <= observedAt;
}

function toParameters({ paper, rawJson, hash }: PreparedRow): unknown[] {
  return [
    paper.id,
    paper.title,
    paper.abstract,
    textArrayLiteral(paper.authors),
    paper.publishedAt,
    paper.upvotes,
    paper.numComments,
    paper.aiSummary,
    textArrayLiteral(paper.aiKeywords),
    paper.projectPage,
    paper.organization,
    paper.submittedBy,
    paper.thumbnail,
    rawJson,
    byteaLiteral(hash),
  ];
}

const statementCache = new Map<number, string>();

/** `$1` is the shared observed_at; each row then takes PARAMETERS_PER_ROW parameters. */
function upsertStatement(rowCount: number): string {
  const cached = statementCache.get(rowCount);
  if (cached) return cached;
  const tuples = Array.from({ length: rowCount }, (_, row) => {
    const p = (column: number) => `$${2 + row * PARAMETERS_PER_ROW + column}`;
    return (
      `(${p(0)}, ${p(1)}, ${p(2)}, ${p(3)}::text[], ${p(4)}::timestamptz, ${p(5)}::int, ${p(6)}::int, ` +
      `${p(7)}, ${p(8)}::text[], ${p(9)}, ${p(10)}, ${p(11)}, ${p(12)}, ${p(13)}::jsonb, ${p(14)}::bytea, $1::timestamptz)`
    );
  });
  const statement = `
    insert into papers as p (
      id, title, abstract, authors, published_at, upvotes, num_comments, ai_summary, ai_keywords,
      project_page, organization, submitted_by, thumbnail, raw, content_hash, observed_at)
    values ${tuples.join(',\n')}
    on conflict (id) do update set
      title = excluded.title,
      abstract = excluded.abstract,
      authors = excluded.authors,
      published_at = excluded.published_at,
      upvotes = excluded.upvotes,
      num_comments = coalesce(excluded.num_comments, p.num_comments),
      ai_summary = excluded.ai_summary,
      ai_keywords = excluded.ai_keywords,
      project_page = excluded.project_page,
      organization = excluded.organization,
      submitted_by = excluded.submitted_by,
      thumbnail = coalesce(excluded.thumbnail, p.thumbnail),
      raw = excluded.raw,
      content_hash = excluded.content_hash,
      observed_at = excluded.observed_at,
      updated_at = now()
    where (p.content_hash <> excluded.content_hash and p.observed_at <= excluded.observed_at)
       or (p.content_hash = excluded.content_hash and p.observed_at > excluded.observed_at)
    returning (xmax = 0) as inserted`;
  statementCache.set(rowCount, statement);
  return statement;
}

/**
 * Records papers seen only on a page's cards (its data blob missing): a new
 * paper gets a row with what the card shows (abstract, authors and dates stay
 * unknown until a full page lists it); an existing paper only has its
 * upvotes and comment count refreshed when this observation is newer. The
 * stored content hash is cleared on refresh so the next full load rewrites
 * the row whatever it contains. Rows go in id order, like every upsert here.
 *
 * @returns how many rows were inserted and updated.
 */
export async function upsertCardSightings(
  db: PgQueryable,
  cards: readonly CardSighting[],
  observedAt: Date,
): Promise<UpsertCounts> {
  if (cards.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const sorted = inLockOrder(cards, (card) => card.id);
  const { rows } = await db.query<UpsertedRow>(
    `insert into papers as p (id, title, upvotes, num_comments, raw, content_hash, observed_at)
     select i.id, i.title, i.upvotes, i.num_comments, jsonb_build_object('card', i.card), '\\x'::bytea, $1
     from unnest($2::text[], $3::text[], $4::int[], $5::int[], $6::jsonb[])
          with ordinality as i(id, title, upvotes, num_comments, card, position)
     order by i.position
     on conflict (id) do update set
       upvotes = excluded.upvotes,
       num_comments = coalesce(excluded.num_comments, p.num_comments),
       observed_at = excluded.observed_at,
       content_hash = '\\x'::bytea,
       updated_at = now()
     where p.observed_at <= excluded.observed_at
       and (p.upvotes, p.num_comments) is distinct from (excluded.upvotes, coalesce(excluded.num_comments, p.num_comments))
     returning (xmax = 0) as inserted`,
    [
      observedAt,
      sorted.map((card) => card.id),
      sorted.map((card) => card.title),
      sorted.map((card) => card.upvotes),
      sorted.map((card) => card.numComments),
      sorted.map((card) => JSON.stringify(card)),
    ],
  );
  const inserted = rows.filter((row) => row.inserted).length;
  return { inserted, updated: rows.length - inserted, unchanged: cards.length - rows.length };
}

/** count(*) is a bigint: pg returns it as text. */
interface PaperCountRow {
  n: string;
}

/** How many papers the database holds. */
export async function countPapers(db: PgQueryable): Promise<number> {
  const { rows } = await db.query<PaperCountRow>('select count(*) as n from papers');
  return Number(rows[0]?.n ?? 0);
}
