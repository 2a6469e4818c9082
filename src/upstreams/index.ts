import type { Config } from '../config.ts';
import { github } from './github.ts';
import { huggingFace } from './hugging-face.ts';
import type { Upstream, UpstreamQueue } from './upstream.ts';

/** Every upstream paperboy reads from: the one list the service wires its workers, allow-list and dashboard from. */
export const UPSTREAMS: readonly Upstream[] = [huggingFace, github];

/** The origins any request may go to: every upstream's, nothing else. */
export function allowedOrigins(config: Config): string[] {
  return UPSTREAMS.flatMap((upstream) => upstream.origins(config));
}

/** Every upstream's queues. */
export function upstreamQueues(): UpstreamQueue[] {
  return UPSTREAMS.flatMap((upstream) => upstream.queues);
}
