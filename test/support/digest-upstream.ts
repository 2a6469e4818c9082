import { utcDay } from '../../src/domain/digest-key.ts';
import { buildListPage } from './page-builder.ts';
import { apiCaptureFiles, apiEntries } from './digests.ts';
import { startLocalServer, type LocalServer } from './local-server.ts';

const DAY_PATH = /^\/papers\/date\/(\d{4}-\d{2}-\d{2})$/;

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
 * papers, as real days do. Pages are built once and kept; every request's
 * arrival time is recorded, to check the pipeline's politeness.
 */
export class DigestUpstream {
  readonly arrivals: number[] = [];
  baseUrl = '';
  /** Milliseconds each answer waits (a slower upstream keeps a run in flight long enough to disturb it). */
  delayMs = 0;
  private readonly payloads = apiCaptureFiles().map((file) => apiEntries(file));
  private readonly pages = new Map<string, Buffer>();
  private server: LocalServer | undefined;

  /** The page of one day (built on first use). */
  page(day: string): Buffer {
    let page = this.pages.get(day);
    if (!page) {
      const index = Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
      const entries = structuredClone(this.payloads[index % this.payloads.length]!).map((entry, position) => {
        entry.paper.id = `${3000 + Math.floor(index / 1000)}.${String((index % 1000) * 100 + position).padStart(5, '0')}`;
        return entry;
      });
      page = Buffer.from(buildListPage({ entries, date: day }));
      this.pages.set(day, page);
    }
    return page;
  }

  async start(): Promise<this> {
    this.server = await startLocalServer((request, response) => {
      this.arrivals.push(performance.now());
      const day = DAY_PATH.exec(request.url ?? '')?.[1];
      if (!day) return void response.writeHead(404).end();
      const body = this.page(day);
      const answer = () => response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(body.length) }).end(body);
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
