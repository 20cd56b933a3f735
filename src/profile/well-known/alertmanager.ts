/** prom/alertmanager: config in /etc/alertmanager, data in /alertmanager. Clustering is off (single node). */
import path from 'node:path';
import { mapContainerPath } from '../compose-fields.ts';
import { dirFor, listenOn, type Adapter } from './adapter.ts';

export const alertmanagerAdapter: Adapter = ({ command, ports, volumes, serviceDir }) => {
  const { host, port } = listenOn(ports, 9093);
  const storage = dirFor(volumes, '/alertmanager', path.join(serviceDir, 'data'));
  const given = (command ?? []).filter((a) => !a.startsWith('--web.listen-address') && !a.startsWith('--cluster.listen-address'));
  const has = (flag: string) => given.some((a) => a.startsWith(flag));
  const args = [
    ...(has('--config.file') ? [] : ['--config.file=/etc/alertmanager/alertmanager.yml']),
    ...(has('--storage.path') ? [] : ['--storage.path=/alertmanager']),
    ...given,
  ].map((a) => mapContainerPath(a, [...volumes, { type: 'volume', source: storage, target: '/alertmanager', readOnly: false }]));
  return {
    // An empty cluster address turns gossip off, so no second port (9094) is taken.
    argv: ['/usr/bin/prometheus-alertmanager', ...args, `--web.listen-address=${host}:${port}`, '--cluster.listen-address='],
    env: {},
    dataDirs: [storage],
    init: [],
    afterReady: [],
    ready: { kind: 'http', url: `http://${host}:${port}/-/ready` },
    readyTimeoutMs: 30_000,
    versionArgv: ['/usr/bin/prometheus-alertmanager', '--version'],
  };
};
