import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * Field paths whose values are never written to a log line. Tokens and
 * passwords travel through config objects and request headers; a wildcard at
 * each depth catches them wherever a caller nests them.
 */
const REDACT_PATHS = [
  'token',
  'password',
  'authorization',
  '*.token',
  '*.password',
  '*.authorization',
  '*.*.token',
  '*.*.password',
  '*.*.authorization',
  'headers.authorization',
  'headers.cookie',
  'config.github.token',
  'config.hf.token',
];

export interface LoggerOptions {
  level: string;
  /** Pretty, human-oriented lines; defaults to whether stderr is a terminal. */
  pretty?: boolean;
  /** Where lines go; defaults to stderr so stdout stays clean for command output. */
  destination?: NodeJS.WritableStream;
}

/**
 * Logs go to stderr: pretty on a terminal, one JSON object per line otherwise.
 * Levels: `info` is one line per job that ends and the service's own events
 * (start, schedules, dashboard URL, shutdown); `warn` an expected permanent
 * outcome, a retry or a pause; `error` a failure needing a person (with a
 * stack only when unexpected); `debug` each step of a job.
 */
export function createLogger(options: LoggerOptions): Logger {
  const usePretty = options.pretty ?? Boolean(process.stderr.isTTY);
  const destination = options.destination ?? (usePretty ? process.stderr : pino.destination({ fd: 2, sync: true }));
  const base = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  if (usePretty) {
    // One event, one terminal line: fields inline, not one line each (a job's line would otherwise take fifteen).
    return pino(base, pretty({ destination, colorize: true, sync: true, singleLine: true, ignore: 'pid,hostname' }));
  }
  return pino(base, destination as pino.DestinationStream);
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`: safe to log. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
