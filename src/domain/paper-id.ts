/**
 * Canonical paper identity. Every paper row is keyed by the string this module
 * returns, so two spellings of one arXiv paper (a version suffix, a DOI, an
 * abs/pdf URL) collapse to one row, and anything that is not recognisably an
 * arXiv id is kept apart under an explicit prefix rather than guessed at.
 */

const NEW_STYLE = /^(\d{4}\.\d{4,5})(v\d+)?$/i;
// Pre-2007 ids: archive[.SUBJECT-CLASS]/YYMMNNN, e.g. hep-th/9901001, cs.CL/0101001.
const OLD_STYLE = /^([a-z][a-z-]*(?:\.[a-z]{2})?\/\d{7})(v\d+)?$/i;
const ARXIV_URL = /^https?:\/\/(?:www\.|export\.)?arxiv\.org\/(?:abs|pdf)\/(.+?)(?:\.pdf)?\/?$/i;
const ARXIV_DOI = /^(?:https?:\/\/(?:dx\.)?doi\.org\/)?10\.48550\/arxiv\.(.+)$/i;
const ARXIV_PREFIX = /^arxiv:\s*(.+)$/i;

/** Prefix for ids that are not arXiv ids: visible in every query, never confused with one. */
export const NON_ARXIV_PREFIX = 'other:';

/**
 * @returns the canonical arXiv id (new style lower-cased, version removed; old
 * style kept as written, version removed), or `other:<input>` for anything else
 * (an `other:` id as it is: canonical ids are fixed points).
 */
export function canonicalPaperId(input: string): string {
  const raw = input.trim();
  // Already canonical: an id this function returned reads back as itself (a page or API URL holds one).
  if (raw.startsWith(NON_ARXIV_PREFIX)) return raw;
  const unwrapped = unwrapArxivReference(raw);
  const newStyle = NEW_STYLE.exec(unwrapped);
  if (newStyle?.[1]) return newStyle[1].toLowerCase();
  const oldStyle = OLD_STYLE.exec(unwrapped);
  if (oldStyle?.[1]) return oldStyle[1];
  return `${NON_ARXIV_PREFIX}${raw}`;
}

/** True when `id` is what `canonicalPaperId` returns for an arXiv paper. */
export function isArxivId(id: string): boolean {
  return !id.startsWith(NON_ARXIV_PREFIX);
}

function unwrapArxivReference(value: string): string {
  for (const pattern of [ARXIV_URL, ARXIV_DOI, ARXIV_PREFIX]) {
    const match = pattern.exec(value);
    if (match?.[1]) return match[1].trim();
  }
  return value;
}
