/**
 * Who listens on a port: for the one line that says a port we need is taken, "by what". Reads `ss`
 * (iproute2); where it is missing or may not show other users' processes, the line goes without it.
 */
import { execFile } from 'node:child_process';
import { debug } from './debug.ts';

export interface PortHolder {
  program: string;
  pid: number;
}

/** The listeners of `ss -ltnpH` output on `port`: `users:(("redis-server",pid=812,fd=6))`. */
export function parseSsListeners(text: string, port: number): PortHolder[] {
  const out: PortHolder[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const local = cols[3];
    if (!local || !local.endsWith(`:${port}`)) continue;
    for (const m of line.matchAll(/\("([^"]+)",pid=(\d+)/g)) out.push({ program: m[1], pid: Number(m[2]) });
  }
  return out;
}

/** `redis-server (pid 812)`, or undefined when it cannot be told. */
export async function describePortHolder(port: number): Promise<string | undefined> {
  const text = await new Promise<string>((resolve) => {
    execFile('ss', ['-ltnpH'], { encoding: 'utf8', timeout: 3000 }, (err, stdout) => {
      if (err) debug('ports', `ss: ${err.message}`);
      resolve(err ? '' : stdout);
    });
  });
  const holders = parseSsListeners(text, port);
  if (holders.length === 0) return undefined;
  return [...new Map(holders.map((h) => [h.pid, `${h.program} (pid ${h.pid})`])).values()].join(', ');
}
