/**
 * Orders two strings by UTF-16 code units: the same on every machine, where `localeCompare`
 * depends on the locale. Negative when `a` comes first; for sorting paths and object names.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
