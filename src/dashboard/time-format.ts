/** Times on the dashboard's pages, in one format (UTC) and as an age. Pure. */

/** `2026-11-29 21:45:03 UTC`. */
export function formatUtc(at: Date): string {
  return `${at.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

const UNITS: ReadonlyArray<readonly [limitSeconds: number, secondsPerUnit: number, unit: string]> = [
  [90 * 60, 60, 'min'],
  [48 * 3600, 3600, 'h'],
  [Infinity, 86_400, 'd'],
];

/** How far `at` is from `now`, in words: `just now`, `12 min ago`, `in 3 h`, `2 d ago`. */
export function relativeAge(at: Date, now: Date): string {
  const seconds = Math.round((at.getTime() - now.getTime()) / 1000);
  const distance = Math.abs(seconds);
  if (distance < 45) return seconds < 0 || distance === 0 ? 'just now' : 'in a moment';
  const [, perUnit, unit] = UNITS.find(([limit]) => distance < limit)!;
  const amount = Math.max(1, Math.round(distance / perUnit));
  return seconds < 0 ? `${amount} ${unit} ago` : `in ${amount} ${unit}`;
}
