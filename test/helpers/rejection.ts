import { expect } from 'vitest';

/** The rejection of a promise, or a failed expectation when it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected the call to fail').toBeDefined();
  return error;
}

/** What a call threw (or its promise rejected with), or undefined when it passed. */
export async function thrownBy(run: () => Promise<unknown> | unknown): Promise<unknown> {
  try {
    await run();
    return undefined;
  } catch (error) {
    return error;
  }
}
