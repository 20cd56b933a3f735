/**
 * A Docker engine of the test's own (its own socket, data and exec roots), so a test can stop and start
 * it mid-run without touching the machine's engine that other runs use. Its one image is tiny: /bin/sleep
 * and /bin/sh with their libraries, imported under the tag the docker driver runs a custom service with
 * (simulate/app:<recipe hash>), so no 900 MB image has to be copied into it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { roleImage } from '../../src/drivers/docker/local-images.ts';

const run = promisify(execFile);

export class PrivateEngine {
  readonly dir: string;
  readonly socket: string;
  private child?: ChildProcess;
  private readonly log: string;

  constructor(private readonly liveRestore: boolean) {
    // Short: containerd's sockets live under the exec root, and a unix socket path has 108 bytes at most.
    this.dir = fs.mkdtempSync('/tmp/sim-eng-');
    this.socket = path.join(this.dir, 'docker.sock');
    this.log = path.join(this.dir, 'dockerd.log');
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async docker(args: string[], input?: Buffer): Promise<string> {
    if (input) {
      return new Promise((resolve, reject) => {
        const p = execFile('docker', ['-H', this.host, ...args], (err, stdout) => (err ? reject(err) : resolve(stdout)));
        p.stdin!.end(input);
      });
    }
    return (await run('docker', ['-H', this.host, ...args])).stdout;
  }

  async start(): Promise<void> {
    const out = fs.openSync(this.log, 'a');
    const args = [
      '--data-root', path.join(this.dir, 'data'), '--exec-root', path.join(this.dir, 'x'), '--pidfile', path.join(this.dir, 'dockerd.pid'),
      '-H', this.host, '--bridge=none', '--iptables=false', '--ip-masq=false', '--ip-forward=false', '--exec-opt', 'native.cgroupdriver=cgroupfs',
      ...(this.liveRestore ? ['--live-restore'] : []),
    ];
    this.child = spawn('dockerd', args, { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const until = Date.now() + 60_000;
    for (;;) {
      if (await this.docker(['info', '--format', '{{.ServerVersion}}']).then(() => true, () => false)) return;
      if (this.child.exitCode !== null || Date.now() > until) throw new Error(`the test's dockerd did not answer: ${fs.readFileSync(this.log, 'utf8').split('\n').slice(-5).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** SIGTERM, as `systemctl restart docker` does; resolves when dockerd has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  /** The tiny image under the app role's tag. */
  async importTinyImage(): Promise<string> {
    const root = path.join(this.dir, 'rootfs');
    const files = new Set(['/bin/sleep', '/bin/sh']);
    for (const bin of [...files]) {
      const { stdout } = await run('ldd', [bin]);
      for (const m of stdout.matchAll(/(\/\S+\.so[.\d]*)/g)) files.add(m[1]!);
    }
    for (const f of files) {
      const to = path.join(root, f);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(fs.realpathSync(f), to);
      fs.chmodSync(to, 0o755);
    }
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
    const { stdout: tar } = await run('tar', ['-C', root, '-c', '.'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    const tag = roleImage('app');
    await this.docker(['import', '-', tag], tar as unknown as Buffer);
    return tag;
  }

  /** Stop the engine, then remove its containers' leftovers and its folders. */
  async destroy(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      const ids = (await this.docker(['ps', '-aq']).catch(() => '')).split('\n').filter(Boolean);
      if (ids.length) await this.docker(['rm', '-f', ...ids]).catch(() => undefined);
    }
    await this.stop();
    // Anything of this engine's still alive (its containerd, a shim): they name its folder on their command line.
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      const cmd = (() => {
        try {
          return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      })();
      if (cmd.includes(this.dir)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    // Whatever the engine left mounted under its roots (nothing, when it stopped cleanly).
    const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(this.dir + '/'));
    for (const m of mounts.reverse()) await run('umount', ['-l', m]).catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  static tmpProfile(yaml: string): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-engine-profile-')), 'restart-me.yml');
    fs.writeFileSync(file, yaml);
    return file;
  }
}
