/** The dashboard credentials the tests set (DASHBOARD_USER / DASHBOARD_PASSWORD), and the header that presents them. */
export const USER = 'operator';
export const PASSWORD = 'correct horse battery';

/** A Basic authorization header value. */
export const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export const AUTH = { authorization: basic(USER, PASSWORD) };
