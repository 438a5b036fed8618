// Prefix scans as half-open key ranges [prefix, end). Both backends order keys by their UTF-8
// bytes (etcd compares bytes, SQLite's BINARY collation compares UTF-8 bytes), and UTF-8 byte
// order equals code point order, so the end of a prefix range is the prefix with its last
// code point incremented.

/** The smallest key greater than every key starting with `prefix`; undefined when there is none. */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // Skip the surrogate block: those code points cannot appear in a well-formed string.
      const next = last === 0xd7ff ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}
