import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { describePortHolder, parseSsListeners } from './port-holder.ts';

// `ss -ltnpH` as printed on this machine (Debian 12, iproute2 6.1).
const SS = [
  'LISTEN 0      128      0.0.0.0:2024  0.0.0.0:*',
  'LISTEN 0      511    127.0.0.1:6379 0.0.0.0:* users:(("redis-server",pid=812,fd=6))',
  'LISTEN 0      511        [::1]:6379    [::]:* users:(("redis-server",pid=812,fd=7))',
  'LISTEN 0      511    127.0.0.1:16379 0.0.0.0:* users:(("node",pid=3760,fd=19))',
].join('\n');

describe('port holders', () => {
  it('reads the program and pid listening on exactly that port', () => {
    expect(parseSsListeners(SS, 6379)).toEqual([
      { program: 'redis-server', pid: 812 },
      { program: 'redis-server', pid: 812 },
    ]);
    expect(parseSsListeners(SS, 2024)).toEqual([]); // listening, but ss may not say by whom
    expect(parseSsListeners(SS, 379)).toEqual([]);
  });

  it('names this process when it holds the port', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      expect(await describePortHolder(port)).toContain(`(pid ${process.pid})`);
    } finally {
      srv.close();
    }
  });
});
