import { parseDailyPaperEntries, parseListPage, type ParsedDigest } from '../../src/domain/parse-digest.ts';
import type { ListedPaper } from '../../src/domain/paper.ts';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR, readFixture } from './upstream-server.ts';

/** Every real /api/daily_papers capture in test/fixtures/hf-api, by file name. */
export function apiCaptureFiles(): string[] {
  return readdirSync(path.join(FIXTURES_DIR, 'hf-api'))
    .filter((file) => file.startsWith('hf-api-daily_papers-'))
    .sort();
}

/** The entries of a real /api/daily_papers capture, as parsed JSON (a fresh copy each call). */
export function apiEntries(file: string): Array<Record<string, any>> {
  return JSON.parse(readFixture(`hf-api/${file}`).toString('utf8'));
}

/** Listed papers parsed from a real API capture, through the production parser. */
export function listedFromApi(file: string, entries = apiEntries(file)): ListedPaper[] {
  return parseDailyPaperEntries(entries, { url: `fixture:${file}` }).papers;
}

/** Listed papers parsed from the real 2024-08-01 HTML capture. */
export function listedFromHtml2024(): ListedPaper[] {
  const html = readFixture('hf-html/hf-papers-date-2024-08-01.html').toString('utf8');
  return fullRecords(parseListPage(html, { url: 'fixture:hf-papers-date-2024-08-01.html' }));
}

/** The full records of a parse that must have come from a blob or the API (not from cards). */
export function fullRecords(parsed: ParsedDigest): ListedPaper[] {
  if (parsed.origin === 'cards') throw new Error(`expected full records, got ${parsed.cards.length} card sightings`);
  return parsed.papers;
}

export const API_2026_07_31_EARLY = 'hf-api-daily_papers-2026-07-31.json'; // 34 papers, committed 2026-07-31
export const API_2026_07_31_LATER = 'hf-api-daily_papers-2026-07-31-scout-cpu.json'; // 30 papers, committed 2026-08-02, more upvotes
export const API_2024_08_01 = 'hf-api-daily_papers-2024-08-01.json'; // 11 papers, fewer upvotes than the HTML capture

/** Every real daily-papers entry of every API capture, in file order (ids repeat across two 2026-07-31 captures). */
export function realApiEntries(): unknown[] {
  return [
    'hf-api-daily_papers-2024-05-27.json',
    'hf-api-daily_papers-2024-08-01.json',
    'hf-api-daily_papers-2025-01-21.json',
    'hf-api-daily_papers-2025-03-17.json',
    'hf-api-daily_papers-2025-06-25.json',
    'hf-api-daily_papers-2025-10-03.json',
    'hf-api-daily_papers-2025-10-08.json',
    'hf-api-daily_papers-2026-05-08-zzjjay.json',
    'hf-api-daily_papers-2026-07-31.json',
    'hf-api-daily_papers-2026-07-31-scout-cpu.json',
    'hf-api-daily_papers-2026-08-03-subset-diqu.json',
    'hf-api-daily_papers-2026-08-21.json',
  ].flatMap((file) => apiEntries(file));
}

/** The real 2024-08-01 page with its DailyPapers blob renamed away: only the cards are left. */
export function captureWithoutBlob(): string {
  return readFixture('hf-html/hf-papers-date-2024-08-01.html')
    .toString('utf8')
    .replace('data-target="DailyPapers"', 'data-target="Gone"');
}

/** The real page with neither the blob nor the paper cards: what a changed layout looks like. */
export function captureWithoutBlobOrCards(): string {
  return captureWithoutBlob().replaceAll('<article', '<section').replaceAll('</article>', '</section>');
}
