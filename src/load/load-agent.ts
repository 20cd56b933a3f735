/**
 * The load engine as a program of its own, for `--load-from remote`: bundled into one file and run
 * by node in a container on the server (host network), it drives the app at the server's loopback and
 * writes its events to stdout as lines of JSON (load-wire.ts) for the run on the user's machine.
 *
 *   node load-agent.mjs '{"scenario":{…},"baseUrl":"http://127.0.0.1:8000/","model":"open"}'
 *
 * Load goes to a loopback address of the machine it runs on, and nowhere else: there is no
 * --allow-remote here. SIGTERM stops the load; the figures so far still come back ('done').
 */
import { AbortError } from '../errors.ts';
import { startLoad } from './start-load.ts';
import type { Scenario } from './scenario.ts';
import type { LoadModel } from './types.ts';
import type { AckSpec } from './request-mix.ts';
import { encodeResult, encodeStage, encodeWindow, wireLine, type WireMessage } from './load-wire.ts';

export interface AgentInput {
  scenario: Scenario;
  baseUrl: string;
  model: LoadModel;
  /** Send each acknowledged write's answer back (the run checks them in the database afterwards). */
  acks?: boolean;
}

const send = (m: WireMessage): void => {
  process.stdout.write(wireLine(m));
};

function fail(err: unknown): never {
  const e = err instanceof AbortError ? err : undefined;
  send({ type: 'error', message: e ? e.message : String((err as Error)?.stack ?? err), hint: e?.hint, exitCode: e?.exitCode ?? 70 });
  process.exit(e?.exitCode ?? 70);
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as AgentInput;
  const onAck = input.acks ? (ack: AckSpec, body: string) => send({ type: 'ack', ack, body }) : undefined;
  const run = startLoad(input.scenario, { baseUrl: input.baseUrl, model: input.model, allowRemote: false, onAck });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => run.stop());
  send({ type: 'begin', model: run.model });
  run.on('stage', (stage) => send({ type: 'stage', stage }));
  run.on('second', (w) => send({ type: 'second', window: encodeWindow(w) }));
  run.on('stage-end', (st) => send({ type: 'stage-end', stage: encodeStage(st) }));
  const result = await run.done;
  send({ type: 'done', result: encodeResult(result) });
  // stdout is a pipe: let it drain before the process goes.
  process.stdout.write('', () => process.exit(0));
}

main().catch(fail);
