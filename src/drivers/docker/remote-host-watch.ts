/**
 * The server's own pressure and kernel log, for a run on a remote engine: this machine's /proc and
 * dmesg say nothing about it. One small helper container of the run's, on the server, for as long as
 * the stack runs: it prints the host's /proc/pressure/memory once a second (PSI is not namespaced:
 * a container reads the machine's) and follows the host's kernel log (/dev/kmsg, with CAP_SYSLOG and
 * that device only, not privileged) for the OOM killer's lines, which name each victim: its pid,
 * command and the cgroup it was in (the container's id is in that path). Where the engine refuses the
 * capability or the device, the helper runs without it: PSI still comes, and the kernel log is
 * reported as not read, with the engine's reason.
 */
import type Docker from 'dockerode';
import { Writable } from 'node:stream';
import { parseKernelOomLines, type KernelOomKill } from '../../cgroups/kernel-oom-log.ts';
import { parsePsi, type Psi } from '../../cgroups/psi.ts';
import { debug, swallow } from '../../util/debug.ts';
import { LABEL_OWNER, LABEL_ROLE, LABEL_RUN, LABEL_SERVICE, OWNER } from './container-options.ts';

/** The helper's script: `p <psi file on one line>` a second; `k <kmsg line>` for OOM lines (or why the log cannot be read). */
export const WATCH_SCRIPT = [
  `{ cat /dev/kmsg 2>&1 || echo "kmsg: cannot read /dev/kmsg (exit $?)"; } | grep --line-buffered -E 'oom-kill:|Killed process|kmsg' | sed -u 's/^/k /' &`,
  `while :; do if [ -r /proc/pressure/memory ]; then echo "p $(tr '\\n' ' ' < /proc/pressure/memory)"; else echo "p none"; fi; sleep 1; done`,
].join('\n');

/** What the helper's output says (pure, for tests): the latest PSI, kernel OOM lines in dmesg's form, a reason the log is unread. */
export class WatchLines {
  psi?: Psi;
  psiAt = 0;
  psiMissing = false;
  kernelLines: string[] = [];
  kernelUnread?: string;
  private rest = '';

  push(chunk: string, now = Date.now()): void {
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) this.line(line, now);
  }

  private line(line: string, now: number): void {
    if (line.startsWith('p ')) {
      const body = line.slice(2).trim();
      if (body === 'none') {
        this.psiMissing = true;
        return;
      }
      try {
        this.psi = parsePsi(body.replace(/ (?=full )/, '\n'));
        this.psiAt = now;
      } catch (err) {
        debug('remote-watch', `psi: ${String(err)}`);
      }
      return;
    }
    if (!line.startsWith('k ')) return;
    // /dev/kmsg: "PRIORITY,SEQ,MICROSECONDS,FLAGS;TEXT" → dmesg's "[ seconds] TEXT".
    const m = /^k \d+,\d+,(\d+),[^;]*;(.*)$/.exec(line);
    if (m) this.kernelLines.push(`[${(Number(m[1]) / 1e6).toFixed(6)}] ${m[2]}`);
    else if (/kmsg/.test(line)) this.kernelUnread = line.slice(2).trim();
  }

  /** The kernel's kills so far (parsed from its own lines). */
  kills(): KernelOomKill[] {
    return parseKernelOomLines(this.kernelLines.join('\n'));
  }
}

export class RemoteHostWatch {
  readonly lines = new WatchLines();
  private container?: Docker.Container;
  private stream?: NodeJS.ReadableStream & { destroy?: () => void };
  /** Why the kernel log is not read (engine refused the capability/device, or the kernel refused the read). */
  private refused?: string;

  constructor(
    private readonly docker: Docker,
    private readonly image: string,
  ) {}

  async start(runId: string): Promise<void> {
    const base = (withKmsg: boolean): Docker.ContainerCreateOptions => ({
      Image: this.image,
      Entrypoint: [],
      Cmd: ['/bin/sh', '-c', WATCH_SCRIPT],
      Labels: { [LABEL_RUN]: runId, [LABEL_SERVICE]: 'host-watch', [LABEL_ROLE]: 'watch', [LABEL_OWNER]: OWNER },
      HostConfig: {
        NetworkMode: 'none',
        ...(withKmsg ? { CapAdd: ['SYSLOG'], Devices: [{ PathOnHost: '/dev/kmsg', PathInContainer: '/dev/kmsg', CgroupPermissions: 'r' }] } : {}),
      },
    });
    let c: Docker.Container | undefined;
    try {
      c = await this.docker.createContainer(base(true));
      await c.start();
    } catch (err) {
      this.refused = `not read: the engine refused CAP_SYSLOG and /dev/kmsg for the helper (${(err as Error).message.split('\n')[0]!.slice(0, 160)})`;
      await c?.remove({ force: true }).catch(swallow('docker', 'remove the host watch'));
      c = await this.docker.createContainer(base(false));
      await c.start();
    }
    this.container = c;
    const stream = (await c.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream & { destroy?: () => void };
    this.stream = stream;
    const sink = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.lines.push(chunk.toString());
        cb();
      },
    });
    this.docker.modem.demuxStream(stream, sink, sink);
    stream.on('error', swallow('docker', 'host watch stream'));
  }

  /** The host's PSI now (undefined when stale, or the kernel has none). */
  psi(): Psi | undefined {
    return Date.now() - this.lines.psiAt < 3000 ? this.lines.psi : undefined;
  }

  /** The kernel's kill of a process in this container, waiting up to `waitMs` for its line to arrive. */
  async killIn(containerId: string, waitMs = 2000): Promise<KernelOomKill | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const k = this.lines.kills().filter((x) => x.taskMemcg?.includes(containerId)).pop();
      if (k || Date.now() >= deadline || !this.kernelLogReadable()) return k;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  kernelLogReadable(): boolean {
    return Boolean(this.container) && !this.refused && !this.lines.kernelUnread;
  }

  /** For run.json: what was read there, and what was not (and why). */
  report(): { psi: string; kernelLog: string } {
    return {
      psi: this.lines.psiMissing ? 'not read: the server has no /proc/pressure/memory (kernel without PSI)' : this.lines.psiAt ? 'the server\'s /proc/pressure/memory, once a second, through a helper container' : 'not read (the helper gave no reading)',
      kernelLog: this.refused ?? (this.lines.kernelUnread ? `not read: ${this.lines.kernelUnread}` : 'the server\'s kernel log (/dev/kmsg) through a helper container with CAP_SYSLOG: OOM kills named by the kernel'),
    };
  }

  /** `simulate up`: stop listening; the helper stays with the stack there (`simulate down` removes it with the run's containers). */
  release(): void {
    this.stream?.destroy?.();
  }

  async stop(): Promise<void> {
    this.stream?.destroy?.();
    await this.container?.remove({ force: true }).catch(swallow('docker', 'remove the host watch'));
    this.container = undefined;
  }
}
