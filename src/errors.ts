/**
 * Errors named after what the runner should do with them. HTTP clients and
 * parsers throw these; the single place that decides about retries (the job
 * runner, or the CLI) only looks at the class.
 */

/** Retrying cannot help: the input or the upstream resource is wrong. */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

/** A retry later may succeed (5xx, timeouts, connection resets). */
export class TransientError extends Error {
  override name = 'TransientError';
}

/**
 * The upstream asked us to slow down (or our own budget for it is spent):
 * wait `retryAfterMs` before the next request. `headers` are the refusing
 * answer's, when there was one (its rate-limit headers say more than the wait).
 */
export class RateLimitedError extends Error {
  override name = 'RateLimitedError';
  declare readonly headers: Readonly<Record<string, string>>;
  constructor(
    message: string,
    readonly retryAfterMs: number,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    // Not enumerable: a logged error shows its message and wait, not every response header.
    Object.defineProperty(this, 'headers', { value: headers, enumerable: false });
  }
}

/**
 * The page answered 200 but no longer looks like a digest page we know. This
 * is permanent (retrying fetches the same layout) and loud: a parser update is
 * needed. `excerpt` is a short piece of the page for the audit row.
 */
export class LayoutChangedError extends PermanentError {
  override name = 'LayoutChangedError';
  constructor(
    message: string,
    readonly url: string,
    readonly excerpt: string,
  ) {
    super(message);
  }
}

/** The upstream payload is well-formed but does not match the schema: permanent, nothing loaded. */
export class InvalidPayloadError extends PermanentError {
  override name = 'InvalidPayloadError';
}

/** The configuration is invalid; nothing was started. Fix the environment and run again. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** A required local program or service is missing; the message says how to get it. */
export class SetupError extends Error {
  override name = 'SetupError';
}

/** The command was given something it cannot use; the message says what. Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
