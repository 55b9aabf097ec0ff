// x^e from + − × ÷ only. ECMA-262 leaves Math.pow, Math.exp and Math.log "implementation-
// approximated" (§21.3.2), so their last bits may differ between engines and hosts; the four
// basic operations are correctly rounded IEEE 754 everywhere. The PI servo's constants come
// from pow(interval, exponent) (linuxptp pi.c pi_sync_interval), and every clock adjustment
// follows from them: computing them this way keeps a trace byte-identical on any host
// (ARCHITECTURE principle 1).

const LN2 = 0.6931471805599453;
const SERIES_TERMS = 40;

/** ln(x) for x > 0: x = m · 2^k with m in [1, 2), ln m = 2 atanh((m − 1) / (m + 1)). */
export function lnDet(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new Error(`assert: lnDet(${x})`);
  let m = x;
  let k = 0;
  while (m >= 2) { m /= 2; k++; } // exact: powers of two
  while (m < 1) { m *= 2; k--; }
  const z = (m - 1) / (m + 1); // |z| <= 1/3: 40 terms are far past double precision
  const z2 = z * z;
  let term = z;
  let sum = 0;
  for (let n = 0; n < SERIES_TERMS; n++) {
    sum += term / (2 * n + 1);
    term *= z2;
  }
  return 2 * sum + k * LN2;
}

/** e^y: y = k ln2 + r with |r| <= ln2 / 2, e^r by its Taylor series, times 2^k. */
export function expDet(y: number): number {
  if (!Number.isFinite(y) || Math.abs(y) > 700) throw new Error(`assert: expDet(${y})`);
  const k = Math.round(y / LN2);
  const r = y - k * LN2;
  let term = 1;
  let sum = 1;
  for (let n = 1; n < SERIES_TERMS; n++) {
    term *= r / n;
    sum += term;
  }
  let out = sum;
  for (let i = 0; i < k; i++) out *= 2;
  for (let i = 0; i > k; i--) out /= 2;
  return out;
}

export function powDet(x: number, e: number): number {
  return e === 0 ? 1 : expDet(e * lnDet(x));
}
