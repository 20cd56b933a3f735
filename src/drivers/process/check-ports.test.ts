import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { testService, testStack } from '../../../test/helpers/stack-model.ts';
import { EnvironmentError } from '../../errors.ts';
import { checkPortsFree } from './process-driver.ts';

describe('checkPortsFree', () => {
  it('names the port, the service that needs it, and what holds it', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    const stack = testStack([testService('redis', { ports: [{ host: port, container: 6379, hostIp: '127.0.0.1' }] })]);
    try {
      const err = await checkPortsFree(stack).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EnvironmentError);
      expect((err as Error).message).toBe(`port ${port} (redis) is already in use on 127.0.0.1 by node (pid ${process.pid})`);
    } finally {
      srv.close();
    }
    await expect(checkPortsFree(stack)).resolves.toBeUndefined();
  });
});
