import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import {
  assertSafeBinding,
  checkCredentials,
  checkWrite,
  createCsrfTokens,
  isLoopbackHost,
} from '../../src/dashboard/security.ts';

const request = (headers: Record<string, string>, method = 'POST') =>
  ({ method, headers }) as unknown as IncomingMessage;
const withCredentials = { credentials: { user: 'ops', password: 'long enough' }, readOnly: false };
const open = { credentials: undefined, readOnly: false };
const basic = (value: string) => `Basic ${Buffer.from(value).toString('base64')}`;

describe('dashboard guards', () => {
  it('tells loopback hosts from others', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', 'example.com', '127.0.0.1.evil.example'].some(isLoopbackHost)).toBe(false);
    expect(() => assertSafeBinding('0.0.0.0', open)).toThrow(ConfigError);
    expect(() => assertSafeBinding('0.0.0.0', withCredentials)).not.toThrow();
    expect(() => assertSafeBinding('127.0.0.1', open)).not.toThrow();
  });

  it('checks basic credentials exactly', () => {
    expect(
      checkCredentials(request({ authorization: basic('ops:long enough') }, 'GET'), withCredentials),
    ).toBeUndefined();
    for (const authorization of [
      basic('ops:long enoug'),
      basic('ops:long enough '),
      basic('Ops:long enough'),
      'Bearer x',
      '',
    ]) {
      expect(checkCredentials(request({ authorization }, 'GET'), withCredentials)).toMatchObject({ status: 401 });
    }
  });

  it('without credentials, answers only to loopback Host names', () => {
    expect(checkCredentials(request({ host: '127.0.0.1:3000' }, 'GET'), open)).toBeUndefined();
    expect(checkCredentials(request({ host: 'localhost:3000' }, 'GET'), open)).toBeUndefined();
    expect(checkCredentials(request({ host: 'evil.example:3000' }, 'GET'), open)).toMatchObject({ status: 421 });
    expect(checkCredentials(request({}, 'GET'), open)).toMatchObject({ status: 421 });
  });

  it('lets a write through only from the same origin, and never in read-only mode', () => {
    const host = { host: '127.0.0.1:3000' };
    expect(checkWrite(request({ ...host, 'sec-fetch-site': 'same-origin' }), open)).toBeUndefined();
    expect(checkWrite(request({ ...host, origin: 'http://127.0.0.1:3000' }), open)).toBeUndefined();
    expect(
      checkWrite(request({ ...host, 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:3000' }), open),
    ).toMatchObject({ status: 403 });
    expect(checkWrite(request({ ...host, origin: 'http://127.0.0.1:3001' }), open)).toMatchObject({ status: 403 });
    expect(checkWrite(request({ ...host, origin: 'null' }), open)).toMatchObject({ status: 403 });
    expect(checkWrite(request(host), open)).toMatchObject({
      status: 403,
      message: 'write refused: the request names no Origin',
    });
    expect(
      checkWrite(request({ ...host, 'sec-fetch-site': 'same-origin' }), { ...open, readOnly: true }),
    ).toMatchObject({ status: 403, message: expect.stringMatching(/read-only/) });
  });

  it('issues a form token only the server can make: the same for every replica sharing the password', () => {
    const a = createCsrfTokens(withCredentials);
    const b = createCsrfTokens(withCredentials);
    expect(a.token).toBe(b.token);
    expect(a.verify(b.token)).toBe(true);
    expect(a.verify(`${a.token}x`)).toBe(false);
    expect(a.verify(undefined)).toBe(false);
    expect(
      createCsrfTokens({ ...withCredentials, credentials: { user: 'ops', password: 'another one' } }).token,
    ).not.toBe(a.token);
    // Without a password, each process keys its tokens with a secret of its own.
    expect(createCsrfTokens(open).token).not.toBe(createCsrfTokens(open).token);
  });
});
