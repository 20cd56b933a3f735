/** The InputError `fn` throws (exit 2); fails the test when it throws nothing or something else. */
import { expect } from 'vitest';
import { InputError } from '../../src/errors.ts';

export function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    return err as InputError;
  }
  throw new Error('expected an InputError, nothing was thrown');
}
