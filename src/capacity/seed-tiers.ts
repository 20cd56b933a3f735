/**
 * The seed's tier table (seed/000: "与完整部署对比" and "成本影响"), as the seed states it, for the
 * comparison beside what a review measured. These figures are the seed's guesses, never used as results.
 */
export interface SeedTier {
  cap: string;
  hitRate?: string;
  avgLatency?: string;
  maxThroughput?: string;
  p99?: string;
  memoryAvailable?: string;
  stability?: string;
  cost: string;
}

export const SEED_TIERS: Record<string, SeedTier> = {
  '8gb': { cap: '8g', hitRate: '70-80 %', avgLatency: '40 ms', maxThroughput: '500 req/s', p99: '< 500 ms', memoryAvailable: '2 GB+', stability: '最高 (highest)', cost: '¥800/month' },
  '4gb': { cap: '4g', hitRate: '50-70 %', avgLatency: '60 ms', maxThroughput: '300 req/s', p99: '< 1 s', memoryAvailable: '800 MB', stability: '良好 (good)', cost: '¥400/month' },
  '2gb': { cap: '2g', stability: '经常崩溃 (often crashes)', cost: '¥200/month' },
};

/** The seed's tier for a cap label (2g → 2gb), if it has one. */
export function seedTierForCap(capBytes: number): { name: string; tier: SeedTier } | undefined {
  const g = capBytes / 1024 ** 3;
  const name = `${g}gb`;
  return Number.isInteger(g) && SEED_TIERS[name] ? { name, tier: SEED_TIERS[name]! } : undefined;
}
