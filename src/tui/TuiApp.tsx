/**
 * The mounted app: the dashboard while the run goes, the final report (in <Static>, so Ink
 * prints it once and it stays after unmount) when it ends. `q` and Ctrl-C call `onQuit` only
 * where stdin supports raw mode; elsewhere Ctrl-C stays a plain SIGINT for the caller.
 */
import React, { useEffect, useState } from 'react';
import { Static, useInput, useStdin, useStdout } from 'ink';
import type { RunState } from '../model/index.ts';
import { Dashboard, FinalReport } from './Dashboard.tsx';
import { ColorContext } from './theme.tsx';

export interface TuiAppProps {
  state: RunState;
  /** The run is over: show the final report instead of the dashboard. */
  final?: boolean;
  colors?: boolean;
  onQuit?: () => void;
  /** Fixed size (tests); by default the output stream's size, following resizes. */
  columns?: number;
  rows?: number;
}

function useTerminalSize(fixed: { columns?: number; rows?: number }): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: fixed.columns ?? (stdout.columns || 80), rows: fixed.rows ?? (stdout.rows || 24) });
  const [size, setSize] = useState(read);
  useEffect(() => {
    // Ink redraws on resize but does not re-run components; widths come from here.
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed.columns, fixed.rows]);
  return fixed.columns !== undefined || fixed.rows !== undefined ? read() : size;
}

function QuitKeys({ onQuit }: { onQuit: () => void }): null {
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
  });
  return null;
}

export function TuiApp({ state, final, colors = true, onQuit, columns, rows }: TuiAppProps): React.ReactElement {
  const size = useTerminalSize({ columns, rows });
  const { isRawModeSupported } = useStdin();
  const keys = Boolean(onQuit) && isRawModeSupported && !final;
  return (
    <ColorContext.Provider value={colors}>
      {keys && onQuit ? <QuitKeys onQuit={onQuit} /> : null}
      {final ? (
        <Static items={[state.runId]}>{(id) => <FinalReport key={id} state={state} columns={size.columns} />}</Static>
      ) : (
        <Dashboard state={state} columns={size.columns} rows={size.rows} keysHint={keys} />
      )}
    </ColorContext.Provider>
  );
}
