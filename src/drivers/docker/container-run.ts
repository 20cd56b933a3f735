/**
 * Short-lived commands next to a service: a one-shot container (before the service exists: prep,
 * initdb) or an exec inside the running container (readiness probes, afterReady, --version).
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { envList } from './container-options.ts';
import { swallow } from '../../util/debug.ts';

export interface CommandResult {
  exitCode: number;
  output: string;
}

function collect(docker: Docker, stream: NodeJS.ReadableStream): { done: Promise<void>; text: () => string } {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => chunks.push(c));
  docker.modem.demuxStream(stream, sink, sink);
  const done = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  return { done, text: () => Buffer.concat(chunks).toString() };
}

/** Runs a container to its end and removes it; returns its exit code and output. */
export async function runOneShot(docker: Docker, options: Docker.ContainerCreateOptions): Promise<CommandResult> {
  const container = await docker.createContainer(options);
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { exitCode: StatusCode, output: demuxBuffer(logs) };
  } finally {
    // AutoRemove may have taken it already.
    await container.remove({ force: true, v: true }).catch(swallow('docker', 'remove one-shot container'));
  }
}

/** Runs a command inside a running container. */
export async function execIn(
  docker: Docker,
  container: Docker.Container,
  cmd: { argv: string[]; env?: Record<string, string>; user?: string; cwd?: string },
): Promise<CommandResult> {
  const exec = await container.exec({
    Cmd: cmd.argv,
    Env: envList(cmd.env ?? {}),
    User: cmd.user ?? '',
    WorkingDir: cmd.cwd,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = collect(docker, stream);
  await out.done;
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, output: out.text() };
}

/** `docker logs` without a TTY is multiplexed: 8-byte frame headers, then the payload. */
export function demuxBuffer(buf: Buffer | string): string {
  if (typeof buf === 'string') return buf;
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i];
    const size = buf.readUInt32BE(i + 4);
    if (type > 2 || i + 8 + size > buf.length) return buf.toString();
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString();
}
