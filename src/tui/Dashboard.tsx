/**
 * The live screen: a pure function of one RunState snapshot and the terminal size. It never
 * grows taller than `rows - 1` lines (Ink clears the whole screen on every frame once output
 * reaches the terminal's height), and no line is wider than `columns`.
 */
import React from 'react';
import { Box } from 'ink';
import type { RunState } from '../model/index.ts';
import { eventLines } from './event-lines.ts';
import { headerLines } from './header-lines.ts';
import { loadLines } from './load-lines.ts';
import { serviceLines } from './service-lines.ts';
import { stackLines } from './stack-lines.ts';
import { finalLines } from './verdict-lines.ts';
import { Lines } from './theme.tsx';
import { clipLine, type LineModel } from './segments.ts';

export interface DashboardProps {
  state: RunState;
  columns: number;
  rows: number;
  /** Show the `q: stop` hint (keys are live). */
  keysHint?: boolean;
}

/** Lines of the live dashboard, fitted to `rows - 1`. */
export function dashboardLines({ state, columns, rows, keysHint }: DashboardProps): LineModel[] {
  const width = Math.max(1, columns);
  const budget = Math.max(1, rows - 1);
  const header = headerLines(state, { keysHint, width });
  const load = loadLines(state, width);
  // Services must show; the stack detail line and blank gaps only when there is room.
  const stackShort = stackLines(state, width);
  const minEvents = 5;
  const serviceRoom = Math.max(2, budget - header.length - stackShort.length - load.length - 1);
  const services = serviceLines(state, width, serviceRoom);
  const fixed = header.length + services.length + stackShort.length + load.length;
  const withDetails = budget - fixed - 1 >= minEvents;
  const stack = withDetails ? stackLines(state, width, { details: true }) : stackShort;
  const used = header.length + services.length + stack.length + load.length;
  // One blank line between the five sections when it still leaves room for events.
  const gaps = budget - used - 4 >= minEvents + 2 ? 4 : 0;
  const events = eventLines(state, budget - used - gaps);
  const gap = (): LineModel[] => (gaps ? [[]] : []);
  const lines = [...header, ...gap(), ...services, ...gap(), ...stack, ...gap(), ...load, ...(events.length ? gap() : []), ...events];
  return lines.slice(0, budget).map((l) => clipLine(l, width));
}

export function Dashboard(props: DashboardProps): React.ReactElement {
  const width = Math.max(1, props.columns);
  return (
    <Box flexDirection="column" width={width}>
      <Lines lines={dashboardLines(props)} width={width} />
    </Box>
  );
}

/** What stays on screen after the run: header, verdict, memory table. Any height; it is printed once. */
export function FinalReport({ state, columns }: { state: RunState; columns: number }): React.ReactElement {
  const width = Math.max(1, columns);
  return (
    <Box flexDirection="column" width={width}>
      <Lines lines={finalLines(state, width, headerLines(state, { width })[0])} width={width} />
    </Box>
  );
}
