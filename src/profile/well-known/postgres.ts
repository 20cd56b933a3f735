/**
 * postgres (official image): POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB create the role and database on
 * first start; `command: postgres -c key=value ...` passes settings; PGDATA or /var/lib/postgresql/data holds data.
 */
import path from 'node:path';
import { dirFor, listenOn, type Adapter } from './adapter.ts';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export const postgresAdapter: Adapter = ({ command, environment, ports, volumes, serviceDir }) => {
  const user = environment.POSTGRES_USER || 'postgres';
  const password = environment.POSTGRES_PASSWORD ?? '';
  const db = environment.POSTGRES_DB || user;
  const containerData = environment.PGDATA || '/var/lib/postgresql/data';
  const data = path.join(dirFor(volumes, containerData, path.join(serviceDir, 'volume')), 'pgdata');
  const run = path.join(serviceDir, 'run');
  const { host, port } = listenOn(ports, 5432);
  // `postgres -c a=b` in Compose: drop the program name, keep the settings.
  const args = command?.[0] === 'postgres' ? command.slice(1) : command ?? [];
  const pwfile = path.join(run, 'pwfile');
  const env = { PGPASSWORD: password, PGHOST: host, PGPORT: String(port), PGUSER: user };
  return {
    argv: [`${PG_BIN}/postgres`, '-D', data, '-p', String(port), '-k', run, '-c', `listen_addresses=${host}`, ...args],
    env: {},
    user: 'postgres',
    dataDirs: [path.dirname(data), run],
    init: [
      {
        // initdb reads the password from a file; it is written by the same user and removed after.
        argv: ['/bin/sh', '-c', `umask 077; printf '%s' "$POSTGRES_PASSWORD" > '${pwfile}' && ${PG_BIN}/initdb -D '${data}' --username='${user}' --pwfile='${pwfile}' --auth-local=trust --auth-host=${password ? 'scram-sha-256' : 'trust'} --encoding=UTF8 --locale=C.UTF-8 >/dev/null; rc=$?; rm -f '${pwfile}'; exit $rc`],
        env: { POSTGRES_PASSWORD: password },
        user: 'postgres',
        unless: path.join(data, 'PG_VERSION'),
      },
    ],
    // initdb makes only `postgres` (and templates); the image creates POSTGRES_DB when it is another name.
    afterReady:
      db === 'postgres'
        ? []
        : [
            {
              argv: ['/bin/sh', '-c', `${PG_BIN}/psql -v ON_ERROR_STOP=1 -q -d postgres -c 'CREATE DATABASE "${db}"' && touch '${path.join(data, '.simulate-db-created')}'`],
              env: { ...env, PGHOST: run },
              user: 'postgres',
              unless: path.join(data, '.simulate-db-created'),
            },
          ],
    ready: { kind: 'command', argv: [`${PG_BIN}/pg_isready`, '-q', '-h', host, '-p', String(port)] },
    readyTimeoutMs: 60_000,
    stopSignal: 'SIGINT',
    versionArgv: [`${PG_BIN}/postgres`, '--version'],
  };
};
