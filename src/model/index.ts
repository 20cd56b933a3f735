/**
 * The shared run model: the types every layer may import (engine, drivers, monitor, reporters, TUI,
 * verdict). Types only: nothing here does anything, so importing it can never make a cycle.
 */
export type * from './events.ts';
export type * from './run-state.ts';
export type * from './verdict.ts';
export type * from './reporter.ts';
export type * from './faults.ts';
