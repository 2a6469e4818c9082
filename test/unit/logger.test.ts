import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from '../../src/logger.ts';

function captureLines() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...chunk.toString().trim().split('\n'));
      callback();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON lines with secrets redacted wherever they are nested', () => {
    const { lines, destination } = captureLines();
    const logger = createLogger({ level: 'info', pretty: false, destination });
    logger.info(
      {
        token: 'ghp_top',
        config: { github: { token: 'ghp_nested', apiUrl: 'https://api.github.com' }, hf: { token: 'hf_nested' } },
        headers: { authorization: 'Bearer hf_header', accept: 'text/html' },
        password: 'pw',
      },
      'configured',
    );
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    for (const secret of ['ghp_top', 'ghp_nested', 'hf_nested', 'hf_header', '"pw"'])
      expect(line).not.toContain(secret);
    const record = JSON.parse(line);
    expect(record).toMatchObject({
      msg: 'configured',
      token: '[redacted]',
      config: { github: { token: '[redacted]', apiUrl: 'https://api.github.com' } },
      headers: { authorization: '[redacted]', accept: 'text/html' },
    });
  });
});

describe('redactUrl', () => {
  it('hides the password of a connection URL and keeps the rest', () => {
    expect(redactUrl('postgres://paperboy:s3cret@db:5432/paperboy')).toBe('postgres://paperboy:***@db:5432/paperboy');
    expect(redactUrl('redis://cache:6379')).toBe('redis://cache:6379');
    expect(redactUrl('not a url')).toBe('[unparseable url]');
  });
});

describe('createLogger on a terminal', () => {
  it('writes one line per event, its fields inline', () => {
    const { lines, destination } = captureLines();
    const logger = createLogger({ level: 'info', pretty: true, destination });
    logger.info({ jobId: 'digest-hf-day-2024-08-01', outcome: 'loaded', stageMs: { fetch: 40, load: 12 } }, 'loaded');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/INFO.*loaded.*digest-hf-day-2024-08-01.*"fetch":40/);
  });
});
