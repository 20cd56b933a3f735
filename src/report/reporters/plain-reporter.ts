/**
 * For CI, pipes and `--no-tui`: a line per stage change and per event, a status line every few
 * seconds, all on stderr; the verdict and memory tables on stdout at the end. Never a cursor
 * movement or colour: every line is final once written.
 */
import type { Reporter, RunEvent, RunState } from '../../model/index.ts';
import { formatBytes, formatDuration, sanitize } from '../format.ts';
import { EVENT_LABEL_WIDTH, formatEventLine, formatStatusLine, stageText } from './event-text.ts';
import { renderMemoryTable } from './memory-table.ts';
import { renderVerdictText } from './verdict-text.ts';
import { flushSink, type TextSink } from './sink.ts';

export interface PlainReporterOptions {
  stdout: TextSink;
  stderr: TextSink;
  /** Seconds of run time between status lines. */
  statusIntervalS?: number;
}

export function startLine(s: RunState): string {
  const swap = s.swapBytes > 0 ? ` + ${formatBytes(s.swapBytes)} swap` : '';
  return `simulate: run ${sanitize(s.runId)}: profile ${sanitize(s.profile)}, ${s.driver} driver, cap ${formatBytes(s.capBytes)}${swap}, cgroup v${s.cgroupVersion}`;
}

export function createPlainReporter(opts: PlainReporterOptions): Reporter {
  const interval = opts.statusIntervalS ?? 5;
  const err = (line: string) => opts.stderr.write(line + '\n');
  let lastStage: string | undefined;
  let lastStatusAt = 0;
  let ended = false;

  const stageKey = (s: RunState) => (s.stage ? `${s.stage.index}:${s.stage.name}` : undefined);
  // Engines emit `stage-start`; a stage change seen only in the state still gets its line.
  const noteStage = (s: RunState, printed: boolean) => {
    const key = stageKey(s);
    if (key === undefined || key === lastStage) return;
    lastStage = key;
    if (!printed) err(`${formatDuration(s.stage!.startedAtS).padStart(5)}  ${'stage'.padEnd(EVENT_LABEL_WIDTH)} ${stageText(s)}`);
  };

  return {
    onStart(s) {
      err(startLine(s));
      lastStatusAt = s.elapsedS;
      noteStage(s, false);
    },
    onEvent(e: RunEvent, s: RunState) {
      err(formatEventLine(e));
      noteStage(s, e.kind === 'stage-start');
    },
    onTick(s) {
      noteStage(s, false);
      if (s.elapsedS - lastStatusAt >= interval) {
        lastStatusAt = s.elapsedS;
        err(formatStatusLine(s));
      }
    },
    onEnd(s) {
      if (ended) return;
      ended = true;
      // No last status line: the `run end` event has just said how it ended, and the tables follow.
      opts.stdout.write(`${renderVerdictText(s)}\n${renderMemoryTable(s)}`);
    },
    async close() {
      await Promise.all([flushSink(opts.stdout), flushSink(opts.stderr)]);
    },
  };
}
