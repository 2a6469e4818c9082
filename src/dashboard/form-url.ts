/**
 * A GET form sends its empty fields too (`?language=`): a page's own URL
 * leaves them out, so it says only what was asked and a bookmark stays clean.
 * The URL to redirect to when the request has empty fields; undefined when
 * it has none.
 */
export function withoutEmptyFields(url: URL): string | undefined {
  const given = [...url.searchParams];
  if (!given.some(([, value]) => value === '')) return undefined;
  const kept = new URLSearchParams(given.filter(([, value]) => value !== ''));
  return `${url.pathname}${kept.size ? `?${kept}` : ''}`;
}
