import { load } from 'cheerio';
import { readFixture } from './upstream-server.ts';

/**
 * Builds a Hugging Face list page for any date from real parts: the real
 * 2024-08-01 page as the shell, and a real API payload (of another date) as
 * its list. Tests and benchmarks get pages for many dates and layouts without
 * hand-written HTML; the captures themselves are never edited.
 *
 * - `2024`: the captured layout, props {canSubmit, date, dailyPapers, nextDate, prevDate, publisher}.
 * - `2025`: the newer props shape {dailyPapers, dateString, periodType, ...} as a page saved after
 *   its scripts ran: Svelte comment markers and an injected style around the blob.
 *
 * The shell's own `<article>` cards are removed (they belong to 2024-08-01).
 */
export type PageLayout = '2024' | '2025';

const SHELL = readFixture('hf-html/hf-papers-date-2024-08-01.html').toString('utf8');

export function buildListPage(options: {
  entries: unknown[];
  date: string;
  layout?: PageLayout;
  periodType?: 'day' | 'week' | 'month';
}): string {
  const layout = options.layout ?? '2024';
  const target = SHELL.indexOf('data-target="DailyPapers"');
  const tagStart = SHELL.lastIndexOf('<div', target);
  const propsStart = SHELL.indexOf('data-props="', target) + 'data-props="'.length;
  const propsEnd = SHELL.indexOf('"', propsStart);
  const tagEnd = SHELL.indexOf('>', propsEnd);
  const shellProps = JSON.parse(load(SHELL.slice(tagStart, tagEnd + 1))('div').attr('data-props')!) as Record<
    string,
    unknown
  >;

  const day = new Date(`${options.date}T00:00:00.000Z`);
  const shift = (days: number) => new Date(day.getTime() + days * 86_400_000).toISOString().slice(0, 10);
  const props =
    layout === '2024'
      ? {
          ...shellProps,
          date: day.toISOString(),
          dailyPapers: options.entries,
          nextDate: shift(1),
          prevDate: shift(-1),
        }
      : {
          dailyPapers: options.entries,
          dateString: options.date,
          periodType: options.periodType ?? 'day',
          canSubmit: false,
        };
  const encoded = encodeAttribute(JSON.stringify(props));
  const tag =
    layout === '2024'
      ? `<div class="SVELTE_HYDRATER contents" data-target="DailyPapers" data-props="${encoded}">`
      : `<!--[--><style>.svelte-1yq7d9k{display:contents}</style><div data-props="${encoded}" data-target="DailyPapers" class="SVELTE_HYDRATER contents svelte-1yq7d9k"><!--]-->`;
  const page = SHELL.slice(0, tagStart) + tag + SHELL.slice(tagEnd + 1);
  return page.replace(/<article[\s\S]*?<\/article>/g, '');
}

/** Attribute text as the server writes it: double-quoted, entities encoded. */
export function encodeAttribute(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&#39;');
}
