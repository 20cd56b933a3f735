/**
 * The load engine as the server runs it (`--load-from remote`): the same bundle, run by node here against
 * a server on this machine's loopback, its stdout read back as the run reads the container's.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResult, decodeStage, WireReader, type WireMessage } from '../../load/load-wire.ts';
import { simpleScenario } from '../../load/scenario.ts';
import { agentBundle } from './remote-load.ts';

let server: http.Server;
let base: string;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-agent-'));

beforeAll(async () => {
  server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  fs.writeFileSync(path.join(dir, 'agent.mjs'), await agentBundle());
}, 60_000);

afterAll(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function runAgent(input: unknown): Promise<{ messages: WireMessage[]; code: number | null }> {
  const child = spawn(process.execPath, [path.join(dir, 'agent.mjs'), JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: WireMessage[] = [];
  const reader = new WireReader();
  child.stdout.on('data', (c: Buffer) => reader.push(c, (m) => messages.push(m), () => undefined));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ messages, code })));
}

describe('the load engine bundled for a server', () => {
  it('streams begin, stages, seconds and its result; the histograms come back whole', async () => {
    const { messages, code } = await runAgent({ scenario: simpleScenario(base, 40, 2), baseUrl: base, model: 'open' });
    expect(code).toBe(0);
    expect(messages[0]).toEqual({ type: 'begin', model: 'open' });
    const seconds = messages.filter((m) => m.type === 'second');
    expect(seconds.length).toBeGreaterThanOrEqual(2);
    const stageEnd = messages.find((m) => m.type === 'stage-end');
    expect(stageEnd?.type === 'stage-end' && decodeStage(stageEnd.stage).aggregate.histogram.totalCount).toBe(80);
    const done = messages.at(-1)!;
    expect(done.type).toBe('done');
    const result = decodeResult((done as Extract<WireMessage, { type: 'done' }>).result);
    expect(result.overall.aggregate.ok).toBe(80);
    // The merged histogram holds every request, and its percentiles are the engine's own.
    expect(result.overall.aggregate.histogram.totalCount).toBe(80);
    expect(result.overall.aggregate.histogram.getValueAtPercentile(99) / 1000).toBeCloseTo(result.overall.aggregate.percentiles['99'], 0);
  }, 30_000);

  it('loads a loopback address only, whatever it is given', async () => {
    const { messages, code } = await runAgent({ scenario: simpleScenario('http://10.213.7.1:8000/', 10, 1), baseUrl: 'http://10.213.7.1:8000/', model: 'open' });
    expect(code).toBe(2);
    expect(messages).toEqual([expect.objectContaining({ type: 'error', message: expect.stringMatching(/refusing to send load to 10\.213\.7\.1:8000: not a loopback address/) })]);
  }, 30_000);
});
