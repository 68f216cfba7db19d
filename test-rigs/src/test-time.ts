/**
 * How much longer a test may wait for a condition on a loaded machine (CI runs several test files at
 * once). Only failing waits get slower; passing ones return as soon as the condition holds.
 * Set SAFELOOP_TEST_WAIT_SCALE to change it (default 4).
 */
export function scaledTimeout(ms: number): number {
  return ms * Number(process.env.SAFELOOP_TEST_WAIT_SCALE ?? '4');
}
