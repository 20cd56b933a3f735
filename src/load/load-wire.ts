/**
 * The load engine's events as lines of JSON, for a load that runs on another machine (`--load-from
 * remote`: the engine in a container on the server, its stdout streamed back over ssh). Histograms
 * travel as HdrHistogram's own compressed base64 encoding, so the figures here are merged from the
 * same histograms the engine recorded there, never from averages. A second's window travels without
 * its histogram (the run reads its counts and latency summary; stage figures come from the stages').
 */
import { decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { AckSpec } from './request-mix.ts';
import type { EndpointStats, LoadResult, SecondWindow, StageResult, StageStartEvent } from './types.ts';

type WireStats = Omit<EndpointStats, 'histogram'> & { histogram: string };
type WireStage = Omit<StageResult, 'aggregate' | 'endpoints'> & { aggregate: WireStats; endpoints: WireStats[] };
type WireResult = Omit<LoadResult, 'stages' | 'overall' | 'seconds'> & { stages: WireStage[]; overall: WireStage; seconds: Array<Omit<SecondWindow, 'histogram'>> };

export type WireMessage =
  /** The engine has begun (its first stage is scheduled from now). */
  | { type: 'begin'; model: string }
  | { type: 'stage'; stage: StageStartEvent }
  | { type: 'second'; window: Omit<SecondWindow, 'histogram'> }
  | { type: 'stage-end'; stage: WireStage }
  | { type: 'done'; result: WireResult }
  /** A write the app acknowledged (its answer's body), for the lost-write check here. */
  | { type: 'ack'; ack: AckSpec; body: string }
  /** The engine could not run (bad input there, an engine error): one line, as here. */
  | { type: 'error'; message: string; hint?: string; exitCode: number };

const encodeStats = (s: EndpointStats): WireStats => ({ ...s, histogram: encodeIntoCompressedBase64(s.histogram) });
const decodeStats = (s: WireStats): EndpointStats => ({ ...s, histogram: decodeFromCompressedBase64(s.histogram, 32, false) });

export function encodeStage(st: StageResult): WireStage {
  return { ...st, aggregate: encodeStats(st.aggregate), endpoints: st.endpoints.map(encodeStats) };
}

export function decodeStage(st: WireStage): StageResult {
  return { ...st, aggregate: decodeStats(st.aggregate), endpoints: st.endpoints.map(decodeStats) };
}

export function encodeWindow(w: SecondWindow): Omit<SecondWindow, 'histogram'> {
  const { histogram: _dropped, ...rest } = w;
  return rest;
}

export function encodeResult(r: LoadResult): WireResult {
  return { ...r, stages: r.stages.map(encodeStage), overall: encodeStage(r.overall), seconds: r.seconds.map(encodeWindow) };
}

export function decodeResult(r: WireResult): LoadResult {
  return { ...r, stages: r.stages.map(decodeStage), overall: decodeStage(r.overall), seconds: r.seconds };
}

/** One line a message (what the engine there writes to its stdout). */
export function wireLine(m: WireMessage): string {
  return `${JSON.stringify(m)}\n`;
}

/** Splits a byte stream into messages; a line that is not one of ours (a warning on stderr merged in) is handed back as text. */
export class WireReader {
  private rest = '';

  push(chunk: Buffer | string, onMessage: (m: WireMessage) => void, onText: (line: string) => void): void {
    const text = this.rest + chunk.toString();
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      let m: unknown;
      try {
        m = JSON.parse(line);
      } catch {
        onText(line);
        continue;
      }
      if (m && typeof m === 'object' && typeof (m as { type?: unknown }).type === 'string') onMessage(m as WireMessage);
      else onText(line);
    }
  }
}
