/**
 * The machine a run ran on, through systeminformation: CPU, memory, swap, system and kernel, virtualisation,
 * the disk holding the results. Written into run.json, shown by the report and `simulate doctor`, so a figure
 * is never read without knowing the box that made it. No serial numbers or host names.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import si from 'systeminformation';

export interface HostFacts {
  cpu: { model: string; cores: number; physicalCores: number; speedGHz?: number };
  memoryBytes: number;
  swapBytes: number;
  os: { distro: string; release: string; arch: string };
  kernel: string;
  /** Unknown when systeminformation could not tell. */
  virtualisation?: { virtual: boolean; host?: string; model?: string };
  /** The file system holding `dir` (the results folder). */
  disk?: { mount: string; type: string; sizeBytes: number; availableBytes: number };
  node: string;
  /** Kept from run.json's first version: logical CPUs. */
  cpus: number;
}

export async function hostFacts(dir = process.cwd()): Promise<HostFacts> {
  // The system from /etc/os-release, not si.osInfo(): that one also runs `hostname -f` and lists MAC
  // addresses with blocking commands (about 50 ms of `simulate doctor`), for a host name we never record.
  const osInfo = osRelease();
  const [cpu, mem, system, disks] = await Promise.all([si.cpu(), si.mem(), si.system(), si.fsSize().catch(() => [])]);
  const abs = path.resolve(dir);
  // The mount that holds `dir`: the longest mount point that is a prefix of it.
  const disk = disks
    .filter((d) => abs === d.mount || abs.startsWith(d.mount.endsWith('/') ? d.mount : `${d.mount}/`))
    .sort((a, b) => b.mount.length - a.mount.length)[0];
  return {
    cpu: { model: [cpu.manufacturer, cpu.brand].filter(Boolean).join(' ').trim() || os.cpus()[0]?.model || 'unknown', cores: cpu.cores, physicalCores: cpu.physicalCores, ...(cpu.speed ? { speedGHz: cpu.speed } : {}) },
    memoryBytes: mem.total,
    swapBytes: mem.swaptotal,
    os: { distro: osInfo.distro, release: osInfo.release, arch: os.arch() },
    kernel: os.release(),
    // systeminformation asks dmidecode and friends, which can fail under load; the CPU's `hypervisor` flag
    // (set by every common hypervisor) says it too.
    virtualisation: {
      virtual: Boolean(system.virtual) || /\bhypervisor\b/.test(cpu.flags ?? ''),
      ...(system.virtualHost ? { host: system.virtualHost } : {}),
      ...(system.model && system.virtual ? { model: system.model } : {}),
    },
    ...(disk ? { disk: { mount: disk.mount, type: disk.type, sizeBytes: disk.size, availableBytes: disk.available } } : {}),
    node: process.version,
    cpus: os.cpus().length,
  };
}

/** NAME and VERSION_ID of /etc/os-release (as systeminformation reports them), else what Node knows. */
function osRelease(): { distro: string; release: string } {
  let text = '';
  try {
    text = fs.readFileSync('/etc/os-release', 'utf8');
  } catch {
    // Not a systemd-era Linux: Node's own names below.
  }
  const field = (key: string) => new RegExp(`^${key}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1];
  return { distro: field('NAME') ?? os.type(), release: field('VERSION_ID') ?? os.release() };
}

/** The facts from Node alone, when systeminformation fails (it reads /proc and runs a few commands). */
export function basicHostFacts(): HostFacts {
  return {
    cpu: { model: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, physicalCores: os.cpus().length },
    memoryBytes: os.totalmem(),
    swapBytes: 0,
    os: { distro: os.type(), release: '', arch: os.arch() },
    kernel: os.release(),
    node: process.version,
    cpus: os.cpus().length,
  };
}

/** One line for `simulate doctor`. */
export function describeHost(h: HostFacts): string {
  const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;
  return [
    `${h.cpu.model}, ${h.cpu.cores} cores`,
    `${gib(h.memoryBytes)} memory, ${h.swapBytes ? `${gib(h.swapBytes)} swap` : 'no swap'}`,
    `${h.os.distro} ${h.os.release}, kernel ${h.kernel}`,
    !h.virtualisation ? 'virtualisation unknown' : h.virtualisation.virtual ? `virtual machine${h.virtualisation.host ? ` (${h.virtualisation.host})` : ''}` : 'no virtualisation detected',
    ...(h.disk ? [`${gib(h.disk.availableBytes)} free on ${h.disk.mount}`] : []),
  ].join('; ');
}
