/**
 * When is the stack at steady state? When its caches are full and its figures stop moving: Redis at its
 * maxmemory (or no longer filling: every key the load asks for often is cached), and over two
 * back-to-back 10 s windows the cache hit rate moved by at most 2 points and the stack's working set by at
 * most 2 %. A warm-up `until: steady` ends there; every run reports whether and when it got there.
 */
export interface SteadyInput {
  /** Run second. */
  t: number;
  workingSet: number;
  /** Cache hit ratio of this second (0..1), when there is a cache to ask. */
  hitRatio?: number;
  redisUsed?: number;
  redisMax?: number;
  redisEvictedPerS?: number;
  redisKeys?: number;
}

export interface SteadyVerdict {
  steady: boolean;
  /** What is still moving (or what made it steady), for the screen and the report. */
  reason: string;
}

export const STEADY_WINDOW_S = 10;
export const HIT_RATE_POINTS = 0.02;
export const WORKING_SET_SHARE = 0.02;
/** Redis gaining less than this share of its maxmemory from one 10 s window to the next has stopped filling. */
export const REDIS_FILL_SHARE = 0.02;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export class SteadyStateDetector {
  private readonly samples: SteadyInput[] = [];
  /** Run second steady state was first reached. */
  reachedAtS?: number;

  constructor(private readonly window = STEADY_WINDOW_S) {}

  /**
   * Forget what was seen: a later warm-up `until: steady` (a capacity review's last step at the target rate,
   * after steps at other rates) must find steady state in its own readings, not in the last step's.
   */
  restart(): void {
    this.samples.length = 0;
    this.reachedAtS = undefined;
  }

  add(s: SteadyInput): SteadyVerdict {
    this.samples.push(s);
    if (this.samples.length > this.window * 2) this.samples.shift();
    const v = this.check();
    if (v.steady && this.reachedAtS === undefined) this.reachedAtS = s.t;
    return v;
  }

  check(): SteadyVerdict {
    const w = this.window;
    if (this.samples.length < 2 * w) return { steady: false, reason: `fewer than ${2 * w} s of readings` };
    const prev = this.samples.slice(0, w);
    const last = this.samples.slice(w);
    const now = last.at(-1)!;
    // The cache: full (at maxmemory, or evicting), or no longer filling: it gained less than 2 % of its
    // maxmemory between the two windows (a small key space all cached; what is left is the long tail).
    const hasRedis = last.some((x) => x.redisUsed !== undefined);
    if (hasRedis) {
      const full = now.redisMax !== undefined && now.redisMax > 0 && (now.redisUsed ?? 0) >= 0.95 * now.redisMax;
      const evicting = last.some((x) => (x.redisEvictedPerS ?? 0) > 0);
      const up = prev.map((x) => x.redisUsed).filter((x): x is number => x !== undefined);
      const ul = last.map((x) => x.redisUsed).filter((x): x is number => x !== undefined);
      const ref = now.redisMax && now.redisMax > 0 ? now.redisMax : Math.max(...ul, 1);
      const settled = up.length > 0 && ul.length > 0 && mean(ul) - mean(up) < REDIS_FILL_SHARE * ref;
      if (!full && !evicting && !settled) {
        const pct = now.redisMax ? ` (${((100 * (now.redisUsed ?? 0)) / now.redisMax).toFixed(0)} % of maxmemory)` : '';
        return { steady: false, reason: `Redis still filling${pct}` };
      }
    }
    const hp = prev.map((x) => x.hitRatio).filter((x): x is number => x !== undefined);
    const hl = last.map((x) => x.hitRatio).filter((x): x is number => x !== undefined);
    if (hasRedis && (hp.length === 0 || hl.length === 0)) return { steady: false, reason: 'no cache hit rate yet' };
    if (hp.length && hl.length && Math.abs(mean(hl) - mean(hp)) > HIT_RATE_POINTS) {
      return { steady: false, reason: `hit rate still moving (${(mean(hp) * 100).toFixed(1)} → ${(mean(hl) * 100).toFixed(1)} %)` };
    }
    const wp = mean(prev.map((x) => x.workingSet));
    const wl = mean(last.map((x) => x.workingSet));
    if (wp > 0 && Math.abs(wl - wp) / wp > WORKING_SET_SHARE) {
      return { steady: false, reason: `working set still moving (${(wp / 1024 ** 2).toFixed(0)} → ${(wl / 1024 ** 2).toFixed(0)} MB)` };
    }
    return { steady: true, reason: `${hasRedis ? 'Redis full or no longer filling, ' : ''}hit rate within ${HIT_RATE_POINTS * 100} points and working set within ${WORKING_SET_SHARE * 100} % over ${w} s windows` };
  }
}
