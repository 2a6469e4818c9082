/** Text as HTML text or a double-quoted attribute value: the five characters HTML gives a meaning, as references. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
