/** The rate-limit budget an upstream reported with a response. */
export interface UpstreamLimit {
  upstream: string;
  resource: string;
  remaining: number;
  resetAt: Date | null;
}
