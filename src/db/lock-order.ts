/**
 * Every write that can touch rows another load also touches goes out in one
 * global order (by id, plain code-unit comparison), so concurrent loads wait
 * for each other instead of deadlocking. Any fixed order works, as long as
 * every load uses the same one.
 */
export function inLockOrder<T>(items: readonly T[], idOf: (item: T) => string): T[] {
  return [...items].sort((a, b) => {
    const left = idOf(a);
    const right = idOf(b);
    return left < right ? -1 : left > right ? 1 : 0;
  });
}
