import { afterEach, describe, expect, it } from 'vitest';
import { connectEngine, localEngine } from './engine.ts';

interface ModemView { host?: string; socketPath?: string; protocol?: string; username?: string }
const modem = (d: { modem: unknown }) => d.modem as ModemView;
const saved = process.env.DOCKER_HOST;

afterEach(() => {
  if (saved === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = saved;
});

describe('engine connections with DOCKER_HOST=ssh://… in the environment', () => {
  it('this machine\'s engine stays its socket (docker-modem would take the host, ssh and user from DOCKER_HOST)', () => {
    process.env.DOCKER_HOST = 'ssh://root@192.0.2.7';
    expect(modem(localEngine())).toMatchObject({ host: undefined, socketPath: '/var/run/docker.sock', protocol: 'http', username: undefined });
    expect(modem(connectEngine({ kind: 'unix', url: 'unix:///run/x.sock', socketPath: '/run/x.sock' }))).toMatchObject({ host: undefined, socketPath: '/run/x.sock', protocol: 'http' });
    expect(modem(connectEngine({ kind: 'tcp', url: 'tcp://192.0.2.8:2375', host: '192.0.2.8', port: 2375 }))).toMatchObject({ host: '192.0.2.8', protocol: 'http', username: undefined });
  });
});
