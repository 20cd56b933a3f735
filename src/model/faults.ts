/**
 * The shapes of what faults give the verdict and the report (src/faults computes them): a record per
 * fault, and the acknowledged-write check.
 */

export interface AckedWrite {
  table: string;
  column: string;
  id: string;
  /** When the acknowledgement arrived, ms since epoch. */
  at: number;
}

export interface WriteCheck {
  /** Writes the app acknowledged with an id. */
  acknowledged: number;
  /** Of those, rows found in the database after the run. */
  found: number;
  lost: number;
  /** The lost writes with the time each was acknowledged (the report keeps the first 20). */
  lostWrites: AckedWrite[];
  /** 2xx answers of ack requests with no readable id (counted apart; they cannot be checked). */
  unreadable: number;
  /** Why the check could not be made (then found/lost are not measured). */
  notChecked?: string;
  database?: string;
}

export interface FaultSecond {
  /** Run second. */
  t: number;
  completed: number;
  errors: number;
  avgMs: number;
  p99Ms: number;
  workingSetMb: number | null;
  targetsHeld: boolean;
}

export interface FaultRecord {
  fault: string;
  kind: string;
  service?: string;
  /** How it was injected (the driver's or the fault's own line). */
  how: string;
  /** Run seconds. */
  startT: number;
  endT: number;
  /** First run second from which every per-second target held for RECOVERED_AFTER_S seconds; null: never in the load. */
  recoveredAtT: number | null;
  /** recoveredAtT − endT. */
  recoveryS: number | null;
  /** Why recovery is null, or what it means. */
  note?: string;
  /** Requests that failed or were dropped from the fault's start until recovery (or the load's end). */
  errorsDuring: number;
  requestsDuring: number;
  worstP99Ms: number;
  peakWorkingSetBytes: number | null;
  restarts: number;
  oomKills: number;
  /** `postgres pid 123` for each OOM kill in the window. */
  oomVictims: string[];
  /** Acknowledged writes of the window that are not in the database (null: not checked). */
  lostWrites: number | null;
  pass: boolean;
  /** The seconds around it. */
  seconds: FaultSecond[];
}
