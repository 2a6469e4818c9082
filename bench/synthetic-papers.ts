import { z } from 'zod';
import { hfDailyPaperEntrySchema } from '../src/domain/hf-schema.ts';
import { toPaperRecord, type PaperRecord } from '../src/domain/paper.ts';
import { apiCaptureFiles, apiEntries } from '../test/support/digests.ts';

/** Every real daily-papers entry captured in test/fixtures/hf-api, validated. */
export function realEntries() {
  return z.array(hfDailyPaperEntrySchema).parse(apiCaptureFiles().flatMap((file) => apiEntries(file)));
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
