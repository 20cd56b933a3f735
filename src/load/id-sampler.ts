/**
 * Id draws for request templates: uniform, or Zipf-skewed so a few ids are hot and the app's
 * cache hit rate is realistic instead of 100 %. Seeded, so two runs hit the same ids.
 */

/** mulberry32: small, fast, good enough for picking ids (not for anything secret). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Sampler = () => number;

export function uniformSampler(min: number, max: number, random: () => number): Sampler {
  const span = max - min + 1;
  return () => min + Math.floor(random() * span);
}

/**
 * Zipf over ranks 1..n with P(k) ∝ 1/k^s, by rejection-inversion (Hörmann & Derflinger 1996, as in
 * Apache Commons RNG's RejectionInversionZipfSampler): O(1) memory and time whatever n is, where a
 * cumulative table would need n entries. Returns min + rank − 1, so `min` is the hottest id.
 */
export function zipfSampler(min: number, max: number, s: number, random: () => number): Sampler {
  const n = max - min + 1;
  if (n === 1) return () => min;
  const h = (x: number) => Math.exp(-s * Math.log(x));
  const helper1 = (x: number) => (Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x)));
  const helper2 = (x: number) => (Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + x * (1 / 3) * (1 + 0.25 * x)));
  // H(x) = ∫ h = (x^(1−s) − 1)/(1 − s), written to stay exact near s = 1.
  const hIntegral = (x: number) => {
    const logX = Math.log(x);
    return helper2((1 - s) * logX) * logX;
  };
  const hIntegralInverse = (x: number) => {
    let t = x * (1 - s);
    if (t < -1) t = -1; // rounding can push t just below −1
    return Math.exp(helper1(t) * x);
  };
  const hIntegralX1 = hIntegral(1.5) - 1;
  const hIntegralN = hIntegral(n + 0.5);
  const sc = 2 - hIntegralInverse(hIntegral(2.5) - h(2));
  return () => {
    for (;;) {
      const u = hIntegralN + random() * (hIntegralX1 - hIntegralN);
      const x = hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > n) k = n;
      if (k - x <= sc || u >= hIntegral(k + 0.5) - h(k)) return min + k - 1;
    }
  };
}
