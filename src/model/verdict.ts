/** The verdict's shape: each target measured against its limit (src/verdict computes it). */

export interface TargetResult {
  name: string;
  /** e.g. `average latency`, `p99 latency`, `throughput`, `OOM kills`, ... */
  label: string;
  measured: number | null;
  limit: number;
  unit: 'ms' | 'req/s' | 'bytes' | 'ratio' | 'count';
  comparator: '<=' | '>=' | '<';
  pass: boolean;
  /** Why this run cannot judge it (too short, nothing that could fail): shown as "not judged", never as a pass. */
  notJudged?: string;
  /** Second of the run at which it first broke, for a fail. */
  firstBrokeAtS?: number;
  detail?: string;
}

export interface OomKillRecord {
  t: number;
  service: string;
  pid?: number;
  workingSetBytes: number;
  /** Latency and errors in the seconds around the kill. */
  around?: string;
}

export interface Verdict {
  pass: boolean;
  model: 'open' | 'closed' | 'none';
  targets: TargetResult[];
  oomKills: OomKillRecord[];
  /** Services whose figures come from a stand-in. */
  standins: string[];
  interrupted: boolean;
  /** Acknowledged writes: how many, found in the database, lost (the first lost ones listed). */
  writes?: import('./faults.ts').WriteCheck;
  /** A row per fault: recovery time, errors during, lost writes, restarts and OOM kills it caused. */
  faults?: import('./faults.ts').FaultRecord[];
}
