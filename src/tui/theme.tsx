/**
 * Colour is decided once (NO_COLOR, FORCE_COLOR=0, the stream) and passed down by context, so a
 * component never emits a colour code when colours are off, whatever chalk thinks.
 */
import React, { createContext, useContext } from 'react';
import { Text } from 'ink';
import { clipLine, type LineModel, type SegmentTone } from './segments.ts';

export const ColorContext = createContext(true);

const COLORS: Record<SegmentTone, string | undefined> = {
  bad: 'red',
  warn: 'yellow',
  good: 'green',
  plain: undefined,
  dim: 'gray',
  accent: 'cyan',
};

/** https://no-color.org: NO_COLOR set and not empty turns colour off; so does FORCE_COLOR=0. */
export function colorsEnabled(env: NodeJS.ProcessEnv, stream?: { isTTY?: boolean }): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false;
  if (env.TERM === 'dumb') return false;
  return stream ? Boolean(stream.isTTY) || (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') : true;
}

/** One terminal line, cut to `width`. Empty lines still take their row. */
export function Line({ line, width }: { line: LineModel; width: number }): React.ReactElement {
  const colors = useContext(ColorContext);
  const clipped = clipLine(line, width);
  if (clipped.length === 0) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {clipped.map((s, i) => {
        const color = colors ? COLORS[s.tone ?? 'plain'] : undefined;
        const bold = colors && s.bold;
        return color || bold ? (
          <Text key={i} color={color} bold={bold}>
            {s.text}
          </Text>
        ) : (
          <React.Fragment key={i}>{s.text}</React.Fragment>
        );
      })}
    </Text>
  );
}

export function Lines({ lines, width }: { lines: LineModel[]; width: number }): React.ReactElement {
  return (
    <>
      {lines.map((l, i) => (
        <Line key={i} line={l} width={width} />
      ))}
    </>
  );
}
