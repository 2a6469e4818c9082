import { createHash } from 'node:crypto';
import { canonicalPaperId } from './paper-id.ts';
import type { HfDailyPaperEntry } from './hf-schema.ts';

/** A paper as paperboy stores it, mapped from one validated upstream entry. */
export interface PaperRecord {
  /** Canonical id (see paper-id.ts): the primary key. */
  id: string;
  title: string;
  abstract: string;
  authors: string[];
  /** arXiv publication time, ISO 8601. */
  publishedAt: string;
  upvotes: number;
  numComments: number | null;
  aiSummary: string | null;
  aiKeywords: string[] | null;
  projectPage: string | null;
  /** The organization's Hugging Face name, e.g. "google". */
  organization: string | null;
  /** Hugging Face user name of whoever submitted the paper to the digest. */
  submittedBy: string | null;
  thumbnail: string | null;
  /** When the paper was put on the daily page, ISO 8601 as received: what dates its week, month and other listings. */
  submittedOnDailyAt: string | null;
  /** The upstream entry exactly as received, unknown fields included. */
  raw: unknown;
}

/** A paper in the position a digest listed it (1-based rank). */
export interface ListedPaper {
  rank: number;
  paper: PaperRecord;
}

/** What a page's `<article>` card shows of a paper: no abstract, authors or dates. */
export interface CardSighting {
  id: string;
  title: string;
  upvotes: number;
  numComments: number | null;
}

export interface ListedCard {
  rank: number;
  card: CardSighting;
}

/** arXiv titles and abstracts keep hard line wraps; stored text has single spaces. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function optionalText(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const collapsed = collapseWhitespace(value);
  return collapsed === '' ? null : collapsed;
}

/**
 * Maps one daily-papers entry (blob or API: same shape) to a record. The
 * top-level title is preferred: `paper.title` keeps arXiv line wraps.
 */
export function toPaperRecord(entry: HfDailyPaperEntry): PaperRecord {
  const { paper } = entry;
  return {
    id: canonicalPaperId(paper.id),
    title: collapseWhitespace(entry.title ?? paper.title),
    abstract: collapseWhitespace(paper.summary),
    authors: paper.authors.map((author) => collapseWhitespace(author.name)),
    publishedAt: paper.publishedAt,
    upvotes: paper.upvotes,
    numComments: entry.numComments ?? null,
    aiSummary: optionalText(paper.ai_summary),
    aiKeywords: paper.ai_keywords ?? null,
    projectPage: optionalText(paper.projectPage),
    organization: paper.organization?.name ?? entry.organization?.name ?? null,
    submittedBy: entry.submittedBy?.name ?? paper.submittedOnDailyBy?.user ?? null,
    thumbnail: optionalText(entry.thumbnail),
    submittedOnDailyAt: paper.submittedOnDailyAt ?? null,
    raw: entry,
  };
}

/**
 * A digest of everything stored for a paper. Equal hashes mean an upsert
 * would change nothing, so loads compare 16 bytes instead of every wide
 * column. It covers the derived fields too: a mapping change re-writes rows.
 */
export function paperContentHash(paper: PaperRecord, rawJson: string): Buffer {
  const { raw: _raw, ...derived } = paper;
  return createHash('md5').update(JSON.stringify(derived)).update(rawJson).digest();
}
