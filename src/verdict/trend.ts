/**
 * Growth: a least-squares line through the working set over the judged seconds (the stack, and each
 * service), its slope in MB/min, and when the stack would cross the safety line and the cap if it kept
 * that slope. Fitted only when at least MIN_TREND_S were judged: a shorter stretch is noise, not a trend.
 *
 * Two lines, because two questions. The safety line is the `memory > 3.2 GB` alert, which reads the working
 * set: the working-set line says when that alert would fire. The cap is an OOM kill, and the kernel takes
 * page cache back before it kills anyone: the working set also counts active file cache, which grows as a
 * large database is read (a 10-minute soak of the 3 GB dataset here: +98 MB/min, R² 0.97, nearly all of it
 * PostgreSQL's file cache while its RSS stayed near 60 MB). So the cap (and the growth target) is projected
 * from the held memory: usage less all file cache (anon + shared memory, cgroups/memory-files heldMemory).
 */
export const MIN_TREND_S = 120;
/** A growth target needs this much judged time before a slope says anything about days ahead. */
export const MIN_GROWTH_JUDGED_S = 600;
/** Below this share of explained variance a slope is scatter, not growth. */
export const MIN_R2 = 0.05;
/**
 * The growth target's slope is bounded from block means of this length. Readings a second apart are not
 * independent (each is the last one plus a little), so a least-squares error over them would claim a
 * precision the run does not have; minute means are close to independent, and a 10-minute soak gives 10.
 */
export const GROWTH_BLOCK_S = 60;

/** Student's t, 97.5th percentile (a two-sided 95 % interval), by degrees of freedom 1..30. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
const t975 = (df: number) => (df <= 30 ? T975[df - 1]! : df <= 60 ? 2.0 : 1.96);

/** A slope with its 95 % interval: the slope ± halfWidth (bytes per second), from `blocks` block means. */
export interface SlopeBound {
  slope: number;
  halfWidth: number;
  blocks: number;
}

/**
 * The slope of readings averaged over `blockS`-second blocks (whole blocks only), with the half-width of
 * its 95 % confidence interval (Student's t on the residuals about the block means' line). Undefined
 * under 3 blocks: two points make a line with no error to measure.
 */
export function slopeBound(points: Array<{ t: number; v: number }>, blockS = GROWTH_BLOCK_S): SlopeBound | undefined {
  if (points.length === 0) return undefined;
  const t0 = points[0]!.t;
  const sums = new Map<number, { t: number; v: number; n: number }>();
  for (const p of points) {
    const k = Math.floor((p.t - t0) / blockS);
    const b = sums.get(k) ?? { t: 0, v: 0, n: 0 };
    b.t += p.t;
    b.v += p.v;
    b.n += 1;
    sums.set(k, b);
  }
  // A block with under half its readings (the last, cut short) would weigh as much as a whole one.
  const blocks = [...sums.values()].filter((b) => b.n >= blockS / 2).map((b) => ({ t: b.t / b.n, v: b.v / b.n }));
  const fit = fitLine(blocks);
  if (!fit || fit.points < 3) return undefined;
  return { slope: fit.slope, halfWidth: t975(fit.points - 2) * fit.slopeSe, blocks: fit.points };
}

export interface LineFit {
  /** Bytes per second. */
  slope: number;
  /** Value of the line at the last point, bytes. */
  end: number;
  /** Share of the variance the line explains (0..1); 0 for a flat series. */
  r2: number;
  points: number;
  /** Seconds between the first and last point. */
  spanS: number;
  /** Standard error of the slope (bytes per second) from the residuals; NaN under 3 points. */
  slopeSe: number;
}

export function fitLine(points: Array<{ t: number; v: number }>): LineFit | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  let st = 0, sv = 0;
  for (const p of points) {
    st += p.t;
    sv += p.v;
  }
  const mt = st / n, mv = sv / n;
  let stt = 0, stv = 0, svv = 0;
  for (const p of points) {
    stt += (p.t - mt) ** 2;
    stv += (p.t - mt) * (p.v - mv);
    svv += (p.v - mv) ** 2;
  }
  if (stt === 0) return undefined;
  const slope = stv / stt;
  const last = points[n - 1]!.t;
  // The residual sum of squares about the line is svv − stv²/stt (clamped: rounding can take it below 0).
  const sse = Math.max(0, svv - (stv * stv) / stt);
  const slopeSe = n > 2 ? Math.sqrt(sse / (n - 2) / stt) : NaN;
  return { slope, end: mv + slope * (last - mt), r2: svv === 0 ? 0 : (stv * stv) / (stt * svv), points: n, spanS: last - points[0]!.t, slopeSe };
}

/** Seconds until the line reaches `level` from its end; null when it never does (flat or falling), 0 when already past. */
export function secondsUntil(fit: LineFit, level: number): number | null {
  if (fit.end >= level) return 0;
  if (fit.slope <= 0) return null;
  return (level - fit.end) / fit.slope;
}

export interface TrendReport {
  judgedS: number;
  stack: {
    /** The working set's line: what the safety-line alert reads. */
    slopeMbPerMin: number;
    r2: number;
    endBytes: number;
    safetyLineInS: number | null;
    /** From the held-memory line: the cap is an OOM kill, and page cache is reclaimed before one. */
    capInS: number | null;
    /** The held memory's growth (bytes/s, 0 when flat or falling): what the growth target projects. */
    growthBytesPerS: number;
    held: { slopeMbPerMin: number; r2: number; endBytes: number };
    /** The held memory's slope from minute means with its 95 % interval, for the growth target; absent under 3 minutes. */
    heldBound?: SlopeBound;
  };
  services: Record<string, { slopeMbPerMin: number; r2: number; heldSlopeMbPerMin?: number }>;
  /** The one line the report and the screen print. */
  line: string;
}

const MB = 1024 * 1024;

/** Bytes per second as MB per minute, to two decimals: every slope the report prints. */
export const mbPerMin = (bytesPerS: number) => Math.round(((bytesPerS * 60) / MB) * 100) / 100;

/** `17 h`, `42 min`, `3.2 days`. */
export function formatSpan(seconds: number): string {
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min`;
  if (seconds < 72 * 3600) return `${(seconds / 3600).toFixed(seconds < 10 * 3600 ? 1 : 0)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

/** A reading: `v` the working set, `held` the memory less all file cache (both bytes). */
export interface TrendPoint {
  t: number;
  v: number;
  held: number;
}

export function trendReport(
  stack: TrendPoint[],
  services: Record<string, TrendPoint[]>,
  opts: { safetyLineBytes: number; capBytes: number },
): TrendReport | undefined {
  const fit = fitLine(stack);
  const heldFit = fitLine(stack.map((p) => ({ t: p.t, v: p.held })));
  if (!fit || !heldFit || fit.spanS + 1 < MIN_TREND_S) return undefined;
  const perMin = (f: LineFit) => mbPerMin(f.slope);
  // A slope the line barely explains (R² under 0.05: the readings scatter around a flat level) is no growth.
  const level = (f: LineFit) => ({ ...f, slope: f.slope > 0 && f.r2 >= MIN_R2 ? f.slope : Math.min(0, f.slope) });
  const safety = secondsUntil(level(fit), opts.safetyLineBytes);
  const held = level(heldFit);
  const cap = secondsUntil(held, opts.capBytes);
  const bound = slopeBound(stack.map((p) => ({ t: p.t, v: p.held })));
  const svc: TrendReport['services'] = {};
  for (const [name, pts] of Object.entries(services)) {
    const f = fitLine(pts);
    const h = fitLine(pts.map((p) => ({ t: p.t, v: p.held })));
    if (f) svc[name] = { slopeMbPerMin: perMin(f), r2: Math.round(f.r2 * 100) / 100, ...(h ? { heldSlopeMbPerMin: perMin(h) } : {}) };
  }
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
  const when = (x: number | null, what: string) => (x === null ? `${what} never reached at this slope` : x === 0 ? `${what} already reached` : `${what} reached in ${formatSpan(x)}`);
  const line =
    `working set ${signed(perMin(fit))} MB/min (R² ${fit.r2.toFixed(2)}) over ${Math.round((fit.spanS + 1) / 60)} min judged: ${when(safety, `${(opts.safetyLineBytes / 1024 ** 3).toFixed(1)} GB line`)}; ` +
    `held memory (less the page cache, reclaimed before any OOM kill) ${signed(perMin(heldFit))} MB/min (R² ${heldFit.r2.toFixed(2)}): ${when(cap, 'cap')}`;
  return {
    judgedS: fit.spanS + 1,
    stack: {
      slopeMbPerMin: perMin(fit),
      r2: Math.round(fit.r2 * 100) / 100,
      endBytes: Math.round(fit.end),
      safetyLineInS: safety === null ? null : Math.round(safety),
      capInS: cap === null ? null : Math.round(cap),
      growthBytesPerS: Math.max(0, held.slope),
      held: { slopeMbPerMin: perMin(heldFit), r2: Math.round(heldFit.r2 * 100) / 100, endBytes: Math.round(heldFit.end) },
      ...(bound ? { heldBound: bound } : {}),
    },
    services: svc,
    line,
  };
}

/**
 * The held memory at `horizonS` from the end of the judged time, at the slope's low end, its middle and
 * its high end (a falling or flat slope projects no growth): what the growth target judges.
 */
export function projectGrowth(
  trend: TrendReport,
  horizonS: number,
): { lowBytes: number; projectedBytes: number; highBytes: number; slopeMbPerMin?: number; halfWidthMbPerMin?: number } {
  const end = trend.stack.held.endBytes;
  const b = trend.stack.heldBound;
  const at = (slope: number) => Math.round(end + Math.max(0, slope) * horizonS);
  if (!b) return { lowBytes: at(trend.stack.growthBytesPerS), projectedBytes: at(trend.stack.growthBytesPerS), highBytes: at(trend.stack.growthBytesPerS) };
  return { lowBytes: at(b.slope - b.halfWidth), projectedBytes: at(b.slope), highBytes: at(b.slope + b.halfWidth), slopeMbPerMin: mbPerMin(b.slope), halfWidthMbPerMin: mbPerMin(b.halfWidth) };
}
