/** redis (official image): `command: redis-server --flag value ...`; data in /data. */
import { dirFor, listenOn, type Adapter } from './adapter.ts';
import path from 'node:path';

export const redisAdapter: Adapter = ({ command, ports, volumes, serviceDir }) => {
  const { host, port } = listenOn(ports, 6379);
  const args = command?.[0] === 'redis-server' ? command.slice(1) : command ?? [];
  const data = dirFor(volumes, '/data', path.join(serviceDir, 'data'));
  return {
    // Ours come last: redis takes the last value of a repeated option, so the listen address and data dir hold.
    argv: ['/usr/bin/redis-server', ...args, '--port', String(port), '--bind', host, '--dir', data, '--daemonize', 'no'],
    env: {},
    dataDirs: [data],
    init: [],
    afterReady: [],
    ready: { kind: 'tcp', host, port },
    readyTimeoutMs: 30_000,
    versionArgv: ['/usr/bin/redis-server', '--version'],
  };
};
