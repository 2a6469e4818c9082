/**
 * Sets `key` as an own, enumerable property, whatever the key. Plain
 * assignment of `__proto__` replaces an object's prototype instead: a key
 * in upstream JSON or headers would then smuggle inherited values into the
 * object and vanish from it. Keys from upstreams are data.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
