// Kubernetes resource quantities ("500m", "128Mi", "1e3", 2): parsing and comparison.
// Values are kept as numbers of base units (cores, bytes); a float64 holds every quantity a
// pod realistically requests exactly enough for fit and limit checks.

const suffixes: Record<string, number> = {
  '': 1,
  n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The regular expression Kubernetes quotes in its "quantities must match" error. */
export const quantityPattern = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

const numberPart = /^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(.*)$/;

/** Parses a quantity to base units (1 for "1", 0.5 for "500m", 134217728 for "128Mi"); undefined if malformed. */
export function parseQuantity(q: string | number): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  const m = numberPart.exec(q.trim());
  if (!m) return undefined;
  const value = Number(m[1]);
  const suffix = m[2]!;
  if (suffix in suffixes) return value * suffixes[suffix]!;
  const exp = /^[eE]([+-]?[0-9]+)$/.exec(suffix);
  if (exp) return value * 10 ** Number(exp[1]);
  return undefined;
}

/** Parses a quantity that must be well formed; the error names the field. */
export function mustParseQuantity(q: string | number, field: string): number {
  const v = parseQuantity(q);
  if (v === undefined) throw new Error(`parse quantity ${field}: "${q}" is not a quantity (e.g. 500m, 128Mi, 2)`);
  return v;
}

/** Milli-units, rounded up as Kubernetes does (CPU is usually handled in millicores). */
export function toMilli(q: string | number): number | undefined {
  const v = parseQuantity(q);
  return v === undefined ? undefined : Math.ceil(Math.round(v * 1e9) / 1e6);
}

/**
 * The string Kubernetes stores for a quantity written as a JSON number: `0.5` -> "500m",
 * `2` -> "2", `0.0001` -> "100u". Strings are returned as written (Kubernetes also
 * re-formats those; Skiff keeps the user's spelling).
 */
export function canonicalQuantity(q: string | number): string {
  if (typeof q === 'string') return q;
  if (Number.isInteger(q)) return String(q);
  // Smallest unit that makes the value whole, as Kubernetes' DecimalSI form does.
  for (const [suffix, scale] of [['m', 1e3], ['u', 1e6], ['n', 1e9]] as const) {
    const scaled = Math.round(q * scale);
    if (Math.abs(scaled - q * scale) < 1e-6) return `${scaled}${suffix}`;
  }
  // Below a nanounit Kubernetes rounds up.
  return `${Math.ceil(q * 1e9)}n`;
}
