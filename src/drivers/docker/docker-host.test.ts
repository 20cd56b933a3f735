import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../errors.ts';
import { dockerHostFromCli, isRemote, parseDockerHost } from './docker-host.ts';

describe('parseDockerHost', () => {
  it('reads ssh://user@host with the default port 22, and an explicit port', () => {
    expect(parseDockerHost('ssh://root@10.213.7.2')).toEqual({ kind: 'ssh', url: 'ssh://root@10.213.7.2', user: 'root', host: '10.213.7.2', port: 22 });
    expect(parseDockerHost('ssh://deploy@box.example:2222')).toMatchObject({ kind: 'ssh', user: 'deploy', host: 'box.example', port: 2222 });
  });

  it('reads tcp:// (port 2375 by default) and unix:// (the default socket when no path)', () => {
    expect(parseDockerHost('tcp://10.0.0.5')).toEqual({ kind: 'tcp', url: 'tcp://10.0.0.5', host: '10.0.0.5', port: 2375 });
    expect(parseDockerHost('unix:///run/x.sock')).toEqual({ kind: 'unix', url: 'unix:///run/x.sock', socketPath: '/run/x.sock' });
    expect(parseDockerHost('unix://')).toMatchObject({ socketPath: '/var/run/docker.sock' });
  });

  it.each([
    ['', 'is empty'],
    ['box.example', 'has no scheme'],
    ['http://box.example', 'has scheme http://'],
    ['ssh://box.example', 'names no user'],
    ['ssh://root:secret@box', 'carries a password'],
    ['ssh://root@box/var/run', 'has a path'],
    ['tcp://me@box:2375', 'has a user'],
    ['ssh://root@box:99999', 'is not a URL'],
  ])('refuses %j with one line saying why (%s), exit 2', (raw, why) => {
    let err: unknown;
    try {
      parseDockerHost(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain(why);
    expect((err as InputError).message).not.toContain('\n');
    expect((err as InputError).exitCode).toBe(2);
  });

  it('checks --ssh-key: it must exist, be a private key, and go with ssh://', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sshkey-'));
    const key = path.join(dir, 'id');
    writeFileSync(key, '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n');
    writeFileSync(`${key}.pub`, 'ssh-ed25519 AAAA me');
    expect(parseDockerHost('ssh://root@h', { sshKey: key })).toMatchObject({ keyFile: key });
    expect(() => parseDockerHost('ssh://root@h', { sshKey: `${key}.missing` })).toThrow(/does not exist/);
    expect(() => parseDockerHost('ssh://root@h', { sshKey: `${key}.pub` })).toThrow(/not a private key/);
    expect(() => parseDockerHost('tcp://h', { sshKey: key })).toThrow(/goes with an ssh:\/\//);
  });

  it('takes the flag over DOCKER_HOST, names DOCKER_HOST when that is wrong, and says which engines are remote', () => {
    expect(dockerHostFromCli('ssh://a@b', undefined, { DOCKER_HOST: 'tcp://c' })).toMatchObject({ kind: 'ssh', host: 'b' });
    expect(() => dockerHostFromCli(undefined, undefined, { DOCKER_HOST: 'nope' })).toThrow(/^DOCKER_HOST: "nope"/);
    expect(dockerHostFromCli(undefined, undefined, {})).toBeUndefined();
    expect(() => dockerHostFromCli(undefined, '/k', {})).toThrow(/needs an ssh:\/\/ Docker host/);
    expect(isRemote(parseDockerHost('unix:///x'))).toBe(false);
    expect(isRemote(parseDockerHost('ssh://a@b'))).toBe(true);
    expect(isRemote(undefined)).toBe(false);
  });
});
