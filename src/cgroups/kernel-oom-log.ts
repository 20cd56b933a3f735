/**
 * OOM kills as the kernel logs them. The cgroup counters say *that* a kill happened; the log says
 * *whom*: pid, command name and the memory cgroup the victim was in. Two lines matter (format
 * recorded on kernel 6.18 in test/fixtures/kernel-oom/):
 *
 *   oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/simulate/x,task_memcg=/simulate/x/hog,task=python3,pid=17389,uid=0
 *   Memory cgroup out of memory: Killed process 17389 (python3) total-vm:218656kB, anon-rss:65280kB, ...
 *
 * (A system-wide OOM says `Out of memory: Killed process ...` and `oom_memcg` is absent.)
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';

export interface KernelOomKill {
  pid: number;
  /** Command name (comm, at most 15 characters). */
  name: string;
  /** The cgroup whose limit was hit (`oom_memcg`), e.g. `/simulate/r-1`; undefined for a system OOM. */
  memcg?: string;
  /** The cgroup the victim was in (`task_memcg`), e.g. `/simulate/r-1/postgres`. */
  taskMemcg?: string;
  /** CONSTRAINT_MEMCG for a cgroup limit, CONSTRAINT_NONE for the whole machine. */
  constraint?: string;
  uid?: number;
  /** Seconds since boot, as printed in brackets. */
  timestamp?: number;
  /** Resident anon memory of the victim when killed, bytes. */
  anonRss?: number;
}

const TIME = String.raw`^\s*(?:\[\s*(\d+\.\d+)\]\s*)?`;
const KILL_INFO = new RegExp(`${TIME}oom-kill:(.*)$`);
const KILLED = new RegExp(`${TIME}(?:Memory cgroup out of memory|Out of memory(?: \\(oom_kill_allocating_task\\))?): Killed process (\\d+) \\((.*?)\\)(.*)$`);

/** Parse `dmesg` output (with or without `[ seconds]` prefixes) into one entry per killed process. */
export function parseKernelOomLines(text: string): KernelOomKill[] {
  const kills: KernelOomKill[] = [];
  // The oom-kill: line comes first and carries the cgroups; key it by pid until its Killed line.
  const pending = new Map<number, Partial<KernelOomKill>>();
  for (const line of text.split('\n')) {
    const info = KILL_INFO.exec(line);
    if (info) {
      const fields = parseCommaFields(info[2]);
      const pid = Number(fields.pid);
      if (!Number.isInteger(pid)) continue;
      pending.set(pid, {
        constraint: fields.constraint,
        memcg: fields.oom_memcg,
        taskMemcg: fields.task_memcg,
        uid: fields.uid === undefined ? undefined : Number(fields.uid),
        name: fields.task,
      });
      continue;
    }
    const killed = KILLED.exec(line);
    if (!killed) continue;
    const pid = Number(killed[2]);
    const before = pending.get(pid) ?? {};
    pending.delete(pid);
    const anon = /anon-rss:(\d+)kB/.exec(killed[4]);
    kills.push(
      dropUndefined({
        pid,
        name: killed[3],
        memcg: before.memcg,
        taskMemcg: before.taskMemcg,
        constraint: before.constraint,
        uid: before.uid,
        timestamp: killed[1] === undefined ? undefined : Number(killed[1]),
        anonRss: anon ? Number(anon[1]) * 1024 : undefined,
      }),
    );
  }
  return kills;
}

/** `a=b,c=d` where a value may be `(null)`; cgroup paths contain no commas. */
function parseCommaFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

function dropUndefined<T extends object>(o: T): T {
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] === undefined) delete o[key];
  return o;
}

export interface ReadKernelOomOptions {
  /** Only kills whose cgroup (oom_memcg or task_memcg) starts with this path, e.g. `/simulate/r-1`. */
  under?: string;
  /** Only kills logged at or after this many seconds since boot. */
  sinceUptime?: number;
}

/**
 * The OOM kills in the kernel ring buffer. Reads `dmesg` (needs root or kernel.dmesg_restrict=0);
 * where the program is missing, reads /dev/kmsg directly. The ring buffer is finite: old kills can
 * be gone, so the cgroup counters stay the source of truth for *how many*.
 */
export async function readKernelOomKills(opts: ReadKernelOomOptions = {}): Promise<KernelOomKill[]> {
  let text: string;
  try {
    text = await runDmesg();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    text = await readKmsg();
  }
  return parseKernelOomLines(text).filter((kill) => {
    if (opts.sinceUptime !== undefined && (kill.timestamp ?? Infinity) < opts.sinceUptime) return false;
    if (opts.under !== undefined) {
      const under = opts.under.replace(/\/+$/, '');
      const inside = (p?: string) => p !== undefined && (p === under || p.startsWith(`${under}/`));
      if (!inside(kill.memcg) && !inside(kill.taskMemcg)) return false;
    }
    return true;
  });
}

/** Seconds since boot now, on the clock dmesg stamps its lines with (close enough: no suspend on servers). */
export async function uptimeSeconds(): Promise<number> {
  return Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
}

function runDmesg(): Promise<string> {
  return new Promise((resolve, reject) => {
    // Not a TTY, so dmesg prints the classic `[   12.345678] message` form, no colour, no pager.
    execFile('dmesg', [], { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') reject(err);
        else reject(new Error(`dmesg failed: ${stderr.trim() || err.message}`));
      } else resolve(stdout);
    });
  });
}

/**
 * /dev/kmsg gives one record per read: `prio,seq,usec,flags;message` plus continuation lines.
 * Opened non-blocking, a read past the last record fails with EAGAIN: that is the end.
 */
async function readKmsg(): Promise<string> {
  const handle = await open('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  const lines: string[] = [];
  const buffer = Buffer.alloc(16 * 1024);
  try {
    for (;;) {
      let n: number;
      try {
        ({ bytesRead: n } = await handle.read(buffer, 0, buffer.length, null));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break;
        if (code === 'EPIPE') continue; // records overwritten while reading: skip ahead
        throw err;
      }
      if (n === 0) break;
      const record = buffer.toString('utf8', 0, n);
      const semi = record.indexOf(';');
      const usec = Number(record.slice(0, semi).split(',')[2]);
      const message = record.slice(semi + 1).split('\n')[0];
      lines.push(`[${(usec / 1e6).toFixed(6)}] ${message}`);
    }
  } finally {
    await handle.close();
  }
  return lines.join('\n');
}
