import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { renderPapersPage } from '../../src/dashboard/papers-page.ts';

describe('the /papers form', () => {
  const render = (form: Record<string, string>, savedSearches: readonly string[]) =>
    load(renderPapersPage({ form, rows: [], sort: 'upvotes', savedSearches }));
  const options = ($: ReturnType<typeof load>) =>
    $('select[name=saved_search] option')
      .toArray()
      .map((option) => [$(option).attr('value'), option.attribs.selected !== undefined]);

  it('offers the configured saved searches, the one asked for selected', () => {
    expect(options(render({ saved_search: 'agents' }, ['agents', 'reasoning']))).toEqual([
      ['', false],
      ['agents', true],
      ['reasoning', false],
    ]);
    expect(render({}, [])('select[name=saved_search]')).toHaveLength(0);
  });

  it('shows a saved search the URL asks for that is not configured as its own selected option, so a resubmit keeps it', () => {
    expect(options(render({ saved_search: 'old <one>' }, ['agents']))).toEqual([
      ['', false],
      ['agents', false],
      ['old <one>', true],
    ]);
    const none = render({ saved_search: 'gone' }, []);
    expect(options(none)).toEqual([
      ['', false],
      ['gone', true],
    ]);
    expect(none('details.filters').attr('open')).toBeDefined();
    expect(none('select[name=saved_search] option[selected]').text()).toBe('gone');
  });
});
