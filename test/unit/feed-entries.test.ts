import { XMLValidator } from 'fast-xml-parser';
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from 'feedsmith';
import { describe, expect, it } from 'vitest';
import {
  cdataText,
  feedItem,
  paperEntryId,
  paperLinks,
  renderFeed,
  xmlText,
  type FeedDescription,
  type FeedEntry,
} from '../../src/domain/feed-entries.ts';

const ENTRY: FeedEntry = {
  id: '2407.21783',
  title: 'The Llama 3 Herd of Models',
  authors: ['Abhimanyu Dubey', 'Abhinav Jauhri'],
  abstract: 'Modern artificial intelligence (AI) systems are powered by foundation models.',
  ai_summary: null,
  upvotes: 94,
  repo: 'meta-llama/llama3',
  repo_stars: 27000,
  listed_on: '2024-08-01',
  updated: new Date('2024-08-02T10:00:00Z'),
};

const FEED: FeedDescription = {
  title: 'paperboy: papers',
  description: 'papers',
  id: 'http://127.0.0.1:3000/feeds/papers.atom',
  selfUrl: 'http://127.0.0.1:3000/feeds/papers.atom?token=abc',
  hfBaseUrl: 'https://huggingface.co',
};

describe('feed entries', () => {
  it("an entry's id depends on the paper alone; its links on HF_BASE_URL", () => {
    expect(paperEntryId('2407.21783')).toBe('https://huggingface.co/papers/2407.21783');
    expect(paperEntryId('other:a b/c')).toBe('https://huggingface.co/papers/other%3Aa%20b%2Fc');
    expect(paperLinks(ENTRY, 'http://mirror.test')).toEqual({
      page: 'http://mirror.test/papers/2407.21783',
      arxiv: 'https://arxiv.org/abs/2407.21783',
      repo: 'https://github.com/meta-llama/llama3',
    });
    expect(paperLinks({ id: 'other:x', repo: null }, 'http://mirror.test')).toEqual({
      page: 'http://mirror.test/papers/other%3Ax',
      arxiv: undefined,
      repo: undefined,
    });
  });

  it('the content shows upvotes, stars, authors, abstract, AI summary and links, every value escaped', () => {
    const item = feedItem({ ...ENTRY, ai_summary: 'A <b>summary</b> & more' }, 'json', FEED.hfBaseUrl);
    expect(item.content).toContain('94 upvotes');
    expect(item.content).toContain(
      '<a href="https://github.com/meta-llama/llama3">meta-llama/llama3</a> (27000 stars)',
    );
    expect(item.content).toContain('<a href="https://arxiv.org/abs/2407.21783">');
    expect(item.content).toContain('Abhimanyu Dubey, Abhinav Jauhri');
    expect(item.content).toContain('<strong>AI summary:</strong> A &#60;b&#62;summary&#60;/b&#62; &#38; more');
    expect(item).toMatchObject({
      title: ENTRY.title,
      date: ENTRY.updated,
      published: new Date('2024-08-01T00:00:00Z'),
    });
  });

  it('XML gets U+FFFD for what it cannot carry, and no second "]]>" in a CDATA section', () => {
    expect(xmlText('a\u0001b\tc\n\u000b\uffff')).toBe('a\ufffdb\tc\n\ufffd\ufffd');
    expect(cdataText('a]]>b]]>c]]>')).toBe('a]]>b]]\u200b>c]]\u200b>');
    expect(cdataText('no end here')).toBe('no end here');
  });

  it('renders Atom 1.0, RSS 2.0 and JSON Feed 1.1 that a parser reads back', () => {
    const entries = [ENTRY, { ...ENTRY, id: '2408.00001', title: 'x]]>y]]>z <a> & &amp;', authors: null }];
    const atom = renderFeed('atom', entries, FEED);
    const rss = renderFeed('rss', entries, FEED);
    expect(XMLValidator.validate(atom)).toBe(true);
    expect(XMLValidator.validate(rss)).toBe(true);
    expect(parseAtomFeed(atom).entries?.map((entry) => entry.title?.value)).toEqual([
      ENTRY.title,
      'x]]&#62;y]]&#62;z &#60;a&#62; &#38; &#38;amp;',
    ]);
    expect(parseRssFeed(rss).items?.map((item) => item.title)).toEqual([ENTRY.title, 'x]]>y]]\u200b>z <a> & &amp;']);
    const json = JSON.parse(renderFeed('json', entries, FEED));
    expect(json.version).toBe('https://jsonfeed.org/version/1.1');
    expect(json.items[0].authors).toEqual([{ name: 'Abhimanyu Dubey' }, { name: 'Abhinav Jauhri' }]);
    expect(json.items[1].authors).toBeUndefined();
    expect(parseJsonFeed(json).items?.map((item) => item.title)).toEqual([ENTRY.title, entries[1]!.title]);
    expect(json.feed_url).toBe(FEED.selfUrl);
  });
});
