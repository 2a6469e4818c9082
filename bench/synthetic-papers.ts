import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { hfDailyPaperEntrySchema } from '../src/domain/hf-schema.ts';
import { toPaperRecord, type PaperRecord } from '../src/domain/paper.ts';

const API_FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures/hf-api');

/** Every real daily-papers entry captured in test/fixtures/hf-api, validated. */
export function realEntries() {
  const entries = readdirSync(API_FIXTURES)
    .filter((file) => file.startsWith('hf-api-daily_papers-'))
    .flatMap((file) => JSON.parse(readFileSync(path.join(API_FIXTURES, file), 'utf8')) as unknown[]);
  return z.array(hfDailyPaperEntrySchema).parse(entries);
}

/**
 * `count` papers with the shapes and sizes of the real captures: entry i is
 * real entry (i mod n) under a fresh arXiv-style id, so rows carry real
 * abstracts, author lists and raw JSON.
 */
export function syntheticPapers(count: number, idOffset = 0): PaperRecord[] {
  const base = realEntries();
  return Array.from({ length: count }, (_, i) => {
    const n = i + idOffset;
    const entry = structuredClone(base[i % base.length]!);
    entry.paper.id = `${2500 + Math.floor(n / 100_000)}.${String(n % 100_000).padStart(5, '0')}`;
    entry.title = `${entry.title ?? entry.paper.title} #${n}`;
    return toPaperRecord(entry);
  });
}
