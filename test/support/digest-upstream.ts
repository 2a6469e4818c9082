import { utcDay } from '../../src/domain/digest-key.ts';
import { buildListPage } from './page-builder.ts';
import { apiCaptureFiles, apiEntries } from './digests.ts';
import { startLocalServer, type LocalServer } from './local-server.ts';
import type { QuotaGate } from './quota-gate.ts';

const DAY_PATH = /^\/papers\/date\/(\d{4}-\d{2}-\d{2})$/;
const API_DAY_PATH = /^\/api\/daily_papers\?date=(\d{4}-\d{2}-\d{2})&limit=(\d+)&p=(\d+)$/;

/** `count` consecutive days ending `endDaysAgo` days before today (UTC): a backfill's range. */
export function dayRange(count: number, endDaysAgo: number): { from: string; to: string; keys: string[] } {
  const end = Date.now() - endDaysAgo * 86_400_000;
  const keys = Array.from({ length: count }, (_, i) => utcDay(new Date(end - (count - 1 - i) * 86_400_000)));
  return { from: keys[0]!, to: keys.at(-1)!, keys };
}

/**
 * A local Hugging Face for the pipeline benchmarks and the fault tests: the daily page
 * of any date, built from the real shell and a real API payload (rotating
 * through the captures), its papers re-keyed per day so every day brings new
 * papers, as real days do. The JSON API (`/api/daily_papers?date=…`) serves
 * the same entries. Pages are built once and kept; a QuotaGate can enforce
 * Hugging Face's per-bucket rate limits (and records every arrival).
 */
export class DigestUpstream {
  baseUrl = '';
  /** Milliseconds each answer waits (a slower upstream keeps a run in flight long enough to disturb it). */
  delayMs = 0;
  private readonly payloads = apiCaptureFiles().map((file) => apiEntries(file));
  private readonly pages = new Map<string, Buffer>();
  private server: LocalServer | undefined;
  /** Enforces per-bucket quotas and sends rate-limit headers when set. */
  gate: QuotaGate | undefined;
  /** Days that list every capture's papers at once (over 300: several API pages). */
  readonly bigDays = new Set<string>();

  /** The entries of one day: a capture's, re-keyed so each day lists papers of its own. */
  entries(day: string): Array<Record<string, any>> {
    const index = Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
    if (this.bigDays.has(day)) {
      // Ids of their own (prefix 4xxx), with room for a thousand papers a day.
      return structuredClone(this.payloads.flat()).map((entry, position) => {
        entry.paper.id = `${4000 + Math.floor(index / 100)}.${String((index % 100) * 1000 + position).padStart(5, '0')}`;
        return entry;
      });
    }
    return structuredClone(this.payloads[index % this.payloads.length]!).map((entry, position) => {
      entry.paper.id = `${3000 + Math.floor(index / 1000)}.${String((index % 1000) * 100 + position).padStart(5, '0')}`;
      return entry;
    });
  }

  /** The page of one day (built on first use). */
  page(day: string): Buffer {
    let page = this.pages.get(day);
    if (!page) {
      page = Buffer.from(buildListPage({ entries: this.entries(day), date: day }));
      this.pages.set(day, page);
    }
    return page;
  }

  /** One page of the JSON API's answer for a day. */
  apiPage(day: string, limit: number, page: number): Buffer {
    return Buffer.from(JSON.stringify(this.entries(day).slice(page * limit, (page + 1) * limit)));
  }

  async start(): Promise<this> {
    this.server = await startLocalServer((request, response) => {
      if (this.gate && !this.gate.admit(request, response)) return;
      const url = request.url ?? '';
      const day = DAY_PATH.exec(url)?.[1];
      const api = API_DAY_PATH.exec(url);
      if (!day && !api) return void response.writeHead(404).end();
      const body = day ? this.page(day) : this.apiPage(api![1]!, Number(api![2]), Number(api![3]));
      const type = day ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8';
      const answer = () =>
        response.writeHead(200, { 'content-type': type, 'content-length': String(body.length) }).end(body);
      if (this.delayMs > 0) setTimeout(answer, this.delayMs);
      else answer();
    });
    this.baseUrl = this.server.baseUrl;
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }
}
