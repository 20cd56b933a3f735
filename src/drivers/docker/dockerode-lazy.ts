/**
 * Imported before dockerode (engine.ts): two of the modules dockerode and docker-modem require when they
 * load are left until first used. docker-modem's `ssh` (ssh2, its wasm and native crypto) serves only an
 * engine it reaches over its own ssh, which we never ask for (ssh hosts go through ssh-dialer.ts);
 * dockerode's `session` (@grpc/grpc-js, protobufjs) serves only a BuildKit build. Loaded at once they were
 * about 4 MB of heap and 200 files in every docker run. Each stands in the require cache as a function
 * that swaps the real module in and calls it, so a caller that does need one gets it unchanged.
 */
import { createRequire } from 'node:module';
import Module from 'node:module';

const require = createRequire(import.meta.url);

function deferModule(file: string): void {
  if (require.cache[file]) return;
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  stub.exports = function loadAndCall(this: unknown, ...args: unknown[]): unknown {
    if (require.cache[file] === stub) delete require.cache[file];
    const real = require(file) as (...a: unknown[]) => unknown;
    return real.apply(this, args);
  };
  require.cache[file] = stub;
}

try {
  const dockerode = require.resolve('dockerode');
  const fromDockerode = createRequire(dockerode);
  deferModule(fromDockerode.resolve('./session.js'));
  deferModule(createRequire(fromDockerode.resolve('docker-modem')).resolve('./ssh.js'));
} catch {
  // Another layout of the packages: they load as they always did.
}
