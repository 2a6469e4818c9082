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
  /** The upstream entry exactly as received, unknown fields included. */
  raw: unknown;
}

/** A paper in the position a digest listed it (1-based rank). */
export interface ListedPaper {
  rank: number;
  paper: PaperRecord;
}

/** arXiv titles and abstracts keep hard line wraps; stored text has single spaces. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
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
    raw: entry,
  };
}
