/**
 * prom/prometheus: its command is the flag list; the image's defaults are the config in /etc/prometheus and
 * storage in /prometheus. Container paths in flags resolve through the service's volumes.
 */
import path from 'node:path';
import { mapContainerPath } from '../compose-fields.ts';
import { dirFor, listenOn, type Adapter } from './adapter.ts';

export const prometheusAdapter: Adapter = ({ command, ports, volumes, serviceDir }) => {
  const { host, port } = listenOn(ports, 9090);
  const storage = dirFor(volumes, '/prometheus', path.join(serviceDir, 'data'));
  const given = (command ?? []).filter((a) => !a.startsWith('--web.listen-address'));
  const has = (flag: string) => given.some((a) => a.startsWith(flag));
  const args = [
    ...(has('--config.file') ? [] : ['--config.file=/etc/prometheus/prometheus.yml']),
    ...(has('--storage.tsdb.path') ? [] : ['--storage.tsdb.path=/prometheus']),
    ...given,
  ].map((a) => mapContainerPath(a, [...volumes, { type: 'volume', source: storage, target: '/prometheus', readOnly: false }]));
  return {
    argv: ['/usr/bin/prometheus', ...args, `--web.listen-address=${host}:${port}`],
    env: {},
    dataDirs: [storage],
    init: [],
    afterReady: [],
    ready: { kind: 'http', url: `http://${host}:${port}/-/ready` },
    readyTimeoutMs: 60_000,
    versionArgv: ['/usr/bin/prometheus', '--version'],
  };
};
