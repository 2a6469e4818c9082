import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseDigestBody, TruncatedPageError } from '../../src/domain/parse-digest.ts';
import type { PaperRecord } from '../../src/domain/paper.ts';
import { isArxivId } from '../../src/domain/paper-id.ts';
import { InvalidPayloadError, LayoutChangedError } from '../../src/errors.ts';
import { apiEntries } from '../support/digests.ts';
import { buildListPage } from '../support/page-builder.ts';
import { readFixture } from '../support/upstream-server.ts';

/**
 * Mutation fuzzing of the parser on the real captures: truncations, entity
 * damage, swapped and dropped fields, huge strings and numbers, unicode edge
 * cases, deep nesting. Every outcome must be either papers that Postgres can
 * store as they are, or one of the parser's typed errors. Seeded, so a
 * failure names a case that can be replayed.
 */

export const FUZZ_CASES = 1_200;

/** mulberry32: small, seeded, good enough to pick mutations. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!,
  };
}
type Random = ReturnType<typeof random>;

const API_FILES = [
  'hf-api-daily_papers-2024-05-27.json',
  'hf-api-daily_papers-2024-08-01.json',
  'hf-api-daily_papers-2025-03-17.json',
  'hf-api-daily_papers-2025-10-08.json',
  'hf-api-daily_papers-2026-07-31.json',
  'hf-api-daily_papers-2026-08-21.json',
];
const REAL_PAGE = readFixture('hf-html/hf-papers-date-2024-08-01.html').toString('utf8');

const WEIRD_TEXT = [
  '\u0000', // NUL: Postgres text and jsonb refuse it
  '\ud800', // a lone high surrogate
  'x\udc00y', // a lone low surrogate
  '\u202e\u202d', // bidi overrides
  '\u200b\ufeff', // zero-width space, BOM
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👩‍👩‍👧‍👦',
  "'); DROP TABLE papers; --",
  '\\"\\\\',
  '</script><script>alert(1)</script>',
  '&amp;&quot;&#0;&#xD800;',
];

/** One mutation of a parsed entry list (mutated in place). */
function mutateEntries(entries: Array<Record<string, any>>, rng: Random): string {
  const entry = rng.pick(entries);
  const paper = entry.paper as Record<string, any>;
  switch (rng.int(9)) {
    case 0: {
      const [a, b] = [
        rng.pick(['id', 'title', 'summary', 'upvotes', 'authors', 'publishedAt']),
        rng.pick(['id', 'title', 'summary', 'upvotes', 'authors', 'publishedAt']),
      ];
      [paper[a], paper[b]] = [paper[b], paper[a]];
      return `swap paper.${a} and paper.${b}`;
    }
    case 1: {
      const field = rng.pick(['id', 'title', 'summary', 'authors', 'publishedAt', 'upvotes']);
      delete paper[field];
      return `drop paper.${field}`;
    }
    case 2: {
      const field = rng.pick(['title', 'summary']);
      paper[field] = 'ab '.repeat(30_000 + rng.int(30_000));
      return `huge paper.${field}`;
    }
    case 3: {
      const weird = rng.pick(WEIRD_TEXT);
      const field = rng.pick(['title', 'summary']);
      paper[field] = `${paper[field] ?? ''}${weird}`;
      if (Array.isArray(paper.authors) && paper.authors[0]) paper.authors[0].name = `${weird}${paper.authors[0].name}`;
      entry[weird] = weird; // an unknown field named by it, kept in raw
      return `unicode ${JSON.stringify(weird)} in paper.${field}, an author and a key`;
    }
    case 4: {
      // Written into the text after serialisation (see withDeepNesting): JSON.stringify itself overflows the stack at such depths.
      const depth = rng.pick([10, 60, 70, 5_000]);
      entry.extra = `${DEEP}${depth}`;
      return `an unknown field nested ${depth} deep`;
    }
    case 5: {
      const value = rng.pick([-1, 1.5, 2 ** 31, Number.MAX_SAFE_INTEGER, '12', null]);
      paper.upvotes = value;
      return `paper.upvotes = ${String(value)}`;
    }
    case 6: {
      paper.publishedAt = rng.pick(['2024-13-01T00:00:00Z', 'yesterday', '', '2024-08-01']);
      return `paper.publishedAt = ${paper.publishedAt}`;
    }
    case 7: {
      paper.id = rng.pick([
        '',
        ' ',
        '2407.21783v9',
        'arXiv:2407.21783',
        'hep-th/9901001',
        '../../etc/passwd',
        'x'.repeat(500),
      ]);
      return `paper.id = ${String(paper.id).slice(0, 40)}`;
    }
    default: {
      entries.splice(rng.int(entries.length), 0, structuredClone(entry));
      return 'a duplicated entry';
    }
  }
}

const DEEP = '__nested_depth_';

/** Replaces the deep-nesting placeholders of a serialised body with arrays nested that deep. */
function withDeepNesting(body: string): string {
  return body.replace(
    /(?:"|&quot;)__nested_depth_(\d+)(?:"|&quot;)/g,
    (_, depth: string) => `${'['.repeat(Number(depth))}1${']'.repeat(Number(depth))}`,
  );
}

/** One mutation of a page's text. */
function mutateText(text: string, rng: Random): [string, string] {
  switch (rng.int(4)) {
    case 0: {
      const at = rng.int(text.length);
      return [text.slice(0, at), `truncated at ${at} of ${text.length}`];
    }
    case 1: {
      const damage = rng.pick(['&quot;', '&amp;', '&lt;', '&#39;']);
      const replacement = rng.pick(['&quo;', '&', '&amp;amp;', '&#x;', '&#99999999;']);
      return [
        text.replaceAll(damage, (match) => (rng.next() < 0.02 ? replacement : match)),
        `entity damage ${damage} → ${replacement}`,
      ];
    }
    case 2: {
      const at = rng.int(text.length);
      return [text.slice(0, at) + rng.pick(WEIRD_TEXT) + text.slice(at), `weird text inserted at ${at}`];
    }
    default: {
      const at = rng.int(text.length - 1000);
      return [text.slice(0, at) + text.slice(at + 1 + rng.int(1000)), `a span cut out at ${at}`];
    }
  }
}

const TYPED_ERRORS = [LayoutChangedError, TruncatedPageError, InvalidPayloadError];
const POSTGRES_INTEGER = 2_147_483_647;
const storableString = z
  .string()
  .refine((text) => !text.includes('\u0000') && text.isWellFormed(), 'NUL or a lone surrogate');

/** What Postgres's columns and checks accept, and what the rest of paperboy assumes of a record. */
const storableRecord = z.object({
  id: z
    .string()
    .min(1)
    .refine((id) => isArxivId(id) || id.startsWith('other:'), 'neither an arXiv id nor other:'),
  title: storableString,
  abstract: storableString,
  authors: z.array(storableString),
  publishedAt: z.iso.datetime({ offset: true }),
  upvotes: z.number().int().min(0).max(POSTGRES_INTEGER),
  numComments: z.number().int().min(0).max(POSTGRES_INTEGER).nullable(),
});

function rawIsStorable(raw: unknown): boolean {
  const json = JSON.stringify(raw);
  return !json.includes('\\u0000') && !/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i.test(json) && json.isWellFormed();
}

interface Outcome {
  kind: 'papers' | 'typed-error';
  papers: PaperRecord[];
}

function parseCase(transport: 'html' | 'api', body: string, what: string): Outcome {
  try {
    const parsed = parseDigestBody(transport, Buffer.from(body), { url: `fuzz:${what}` });
    return { kind: 'papers', papers: parsed.origin === 'cards' ? [] : parsed.papers.map((listed) => listed.paper) };
  } catch (error) {
    if (TYPED_ERRORS.some((type) => error instanceof type)) return { kind: 'typed-error', papers: [] };
    throw new Error(`case "${what}": untyped ${(error as Error).name}: ${(error as Error).message}`);
  }
}

describe(`parser fuzzing (${FUZZ_CASES} mutated captures)`, () => {
  it('returns storable papers or a typed error for every mutation, never anything else', () => {
    const rng = random(20_261_127);
    const tally = { papers: 0, typedErrors: 0, records: 0 };
    for (let index = 0; index < FUZZ_CASES; index += 1) {
      const entries = apiEntries(rng.pick(API_FILES));
      const mutations = Array.from({ length: 1 + rng.int(3) }, () => mutateEntries(entries, rng));
      let transport: 'html' | 'api' = 'api';
      let body = JSON.stringify(entries);
      if (rng.next() < 0.5) {
        transport = 'html';
        body =
          rng.next() < 0.3
            ? REAL_PAGE
            : buildListPage({ entries, date: '2025-06-01', layout: rng.pick(['2024', '2025'] as const) });
      }
      body = withDeepNesting(body);
      if (rng.next() < 0.4) {
        const [damaged, how] = mutateText(body, rng);
        body = damaged;
        mutations.push(how);
      }
      const what = `#${index} ${transport}: ${mutations.join('; ')}`;
      const outcome = parseCase(transport, body, what);
      if (outcome.kind === 'typed-error') tally.typedErrors += 1;
      else tally.papers += 1;
      for (const paper of outcome.papers) {
        const checked = storableRecord.safeParse(paper);
        if (!checked.success)
          throw new Error(
            `case "${what}": record ${paper.id} is not storable: ${checked.error.issues[0]?.message} at ${checked.error.issues[0]?.path.join('.')}`,
          );
        if (!rawIsStorable(paper.raw)) throw new Error(`case "${what}": raw of ${paper.id} is not storable as jsonb`);
        tally.records += 1;
      }
    }
    // Both outcomes occur, in numbers: the mutations reach past the first check.
    expect(tally.papers).toBeGreaterThan(FUZZ_CASES / 5);
    expect(tally.typedErrors).toBeGreaterThan(FUZZ_CASES / 5);
    expect(tally.records).toBeGreaterThan(FUZZ_CASES * 5);
  });

  it('keeps what a mutation cannot hurt: NUL and lone surrogates become U+FFFD, the rest of the text as it was', () => {
    const entries = apiEntries('hf-api-daily_papers-2024-08-01.json');
    const title = entries[0]!.paper.title as string;
    entries[0]!.paper.title = `${title}\u0000\ud800 '); DROP TABLE papers; --`;
    const parsed = parseDigestBody('api', Buffer.from(JSON.stringify(entries)), { url: 'fuzz' });
    if (parsed.origin === 'cards') throw new Error('expected records');
    const paper = parsed.papers.find((listed) => listed.paper.id === String(entries[0]!.paper.id))!.paper;
    expect((paper.raw as { paper: { title: string } }).paper.title).toBe(
      `${title}\ufffd\ufffd '); DROP TABLE papers; --`,
    );
  });
});
