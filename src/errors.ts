/**
 * Errors the user can fix carry a hint and become one line; everything else is a bug and shows
 * its stack. Modelled on Shopify cli-kit's AbortError / BugError split.
 */
export const EXIT = {
  ok: 0,
  targetsMissed: 1,
  input: 2,
  environment: 3,
  interrupted: 130,
} as const;

export class AbortError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: number = EXIT.input,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad usage or input: unknown profile, malformed YAML, wrong type, bad size. Exit 2. */
export class InputError extends AbortError {
  constructor(message: string, hint?: string) {
    super(message, hint, EXIT.input);
  }
}

/** The machine is not as needed: no cgroup permission, no engine, port in use, missing program. Exit 3. */
export class EnvironmentError extends AbortError {
  constructor(message: string, hint?: string) {
    super(message, hint, EXIT.environment);
  }
}

/** A run stopped by Ctrl-C, SIGTERM or `q`. Exit 130. */
export class InterruptedError extends AbortError {
  constructor(message = 'interrupted') {
    super(message, undefined, EXIT.interrupted);
  }
}

/** A failed external command keeps its command line, so the user can run it by hand. */
export class CommandError extends EnvironmentError {
  constructor(
    readonly argv: string[],
    readonly code: number | null,
    readonly output: string,
    hint?: string,
  ) {
    super(`command failed (exit ${code ?? 'signal'}): ${argv.join(' ')}${output ? `: ${lastLine(output)}` : ''}`, hint);
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1]?.slice(0, 300) ?? '';
}

/** One line for the user: what is wrong, then what to do. */
export function formatAbort(err: AbortError): string {
  // A validation error lists its problems below its first line; the hint stays with the first line.
  const [first, ...rest] = err.message.split('\n');
  return [`simulate: ${first}${err.hint ? ` — ${err.hint}` : ''}`, ...rest].join('\n');
}
