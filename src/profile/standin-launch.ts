/**
 * A stand-in runs docker/standin/standin.py with its model (the sourced defaults for what it stands in for,
 * overridden by the profile's `x-simulate.standin`) passed as environment variables.
 */
import path from 'node:path';
import type { StandinExt } from './compose-schema.ts';
import { parseSize } from './sizes.ts';
import type { Launch, PortMapping, StandinModel } from './stack.ts';
import { standinDefaults, standinEnv } from './standin-models.ts';

const STANDIN_PROGRAM = path.resolve(import.meta.dirname, '..', '..', 'docker', 'standin', 'standin.py');

export function standinLaunch(
  service: string,
  ext: StandinExt,
  ports: PortMapping[],
  environment: Record<string, string>,
  capBytes: number,
): { launch: Launch; model: StandinModel } | { error: string } {
  const base = standinDefaults(ext.of, { capBytes });
  const port = ext.port ?? ports[0]?.host ?? base.port;
  const sizeOf = (v: string | number | undefined, fallback: number, field: string) => {
    if (v === undefined) return fallback;
    const r = parseSize(v);
    if ('error' in r) throw new Error(`${field}: ${r.error}`);
    return r.bytes;
  };
  let model: StandinModel;
  try {
    model = {
      ...base,
      port,
      baselineBytes: sizeOf(ext.baseline, base.baselineBytes, 'baseline'),
      growthPerByte: ext.growth_per_byte ?? base.growthPerByte,
      ceilingBytes: sizeOf(ext.ceiling, base.ceilingBytes, 'ceiling'),
      // A profile that sets the size itself means it: the stand-in stops sizing its heap from the cgroup.
      settings: { ...base.settings, ...(ext.baseline !== undefined || ext.ceiling !== undefined ? { autoHeap: 0 } : {}), ...(ext.settings ?? {}) },
      sources: { ...base.sources, ...(ext.sources ?? {}) },
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
  // Loopback even for a `0.0.0.0` mapping: load and probes stay on this machine.
  const host = ports[0]?.hostIp && ports[0].hostIp !== '0.0.0.0' ? ports[0].hostIp : '127.0.0.1';
  return {
    model,
    launch: {
      argv: ['/usr/bin/python3', STANDIN_PROGRAM],
      env: { ...environment, ...standinEnv(model, port), STANDIN_SERVICE: service, STANDIN_HOST: host },
      init: [],
      afterReady: [],
      dataDirs: [],
      ready: { kind: 'http', url: `http://${host}:${port}${model.health}` },
      readyTimeoutMs: 60_000,
      versionArgv: ['/usr/bin/python3', STANDIN_PROGRAM, '--version'],
    },
  };
}
