import { load } from 'cheerio';
import { encodeAttribute } from './page-builder.ts';
import { readFixture } from './upstream-server.ts';

/**
 * Builds a paper's own page from real parts: the real page of 2509.24002
 * (test/fixtures/hf-html/hf-paper-page-2509.24002-bs4-prettified.html) as the
 * shell, its PaperContent props kept but for what is changed, written back
 * the way the server sends them (double-quoted, `&quot;` entities). Tests get
 * pages for other papers, other counts and both quotings without
 * hand-written HTML; the capture itself is never edited.
 */

export const PAPER_PAGE_CAPTURE = 'hf-html/hf-paper-page-2509.24002-bs4-prettified.html';
const SHELL = readFixture(PAPER_PAGE_CAPTURE).toString('utf8');

/** The capture's PaperContent props, parsed (a fresh copy each call). */
export function capturedPaperContentProps(): Record<string, any> {
  return JSON.parse(load(SHELL)('[data-target="PaperContent"]').attr('data-props')!) as Record<string, any>;
}

export interface PaperPageChanges {
  /** Replaces props.paper (e.g. a real listing entry's `paper`); its id becomes the page's. */
  paper?: Record<string, unknown>;
  /** With `paper`: how many comments the page lists (the capture's comments, repeated; none unless said). */
  comments?: number;
  /** Changes made to the props after that (a count, a rank). */
  props?: (props: Record<string, any>) => void;
  /** Counts shown in the page's sections (the capture shows 0 models, 0 datasets, 0 Spaces, 3 collections). */
  sections?: Partial<Record<PaperPageSection, number>>;
}

export type PaperPageSection = 'models' | 'datasets' | 'spaces' | 'collections';

const SECTION_HEADINGS: Record<PaperPageSection, string> = {
  models: 'Models citing this paper',
  datasets: 'Datasets citing this paper',
  spaces: 'Spaces citing this paper',
  collections: 'Collections including this paper',
};

export function buildPaperPage(changes: PaperPageChanges = {}): string {
  const props = capturedPaperContentProps();
  if (changes.paper) {
    props.paper = changes.paper;
    // Profiles of the capture's upvoters and commenters belong to the capture's paper.
    props.upvoters = [];
    const captured = props.comments as unknown[];
    props.comments = Array.from({ length: changes.comments ?? 0 }, (_, index) => captured[index % captured.length]);
  }
  changes.props?.(props);
  const start = SHELL.lastIndexOf('<div', SHELL.indexOf('data-target="PaperContent"'));
  const end = SHELL.indexOf('>', SHELL.indexOf('data-target="PaperContent"')) + 1;
  const tag = `<div class="SVELTE_HYDRATER contents" data-target="PaperContent" data-props="${encodeAttribute(JSON.stringify(props))}">`;
  let page = SHELL.slice(0, start) + tag + SHELL.slice(end);
  for (const [section, count] of Object.entries(changes.sections ?? {})) {
    const heading = new RegExp(`(${SECTION_HEADINGS[section as PaperPageSection]}\\s*<span[^>]*>\\s*)\\d+`);
    page = page.replace(heading, (_, before: string) => `${before}${count}`);
  }
  return page;
}
