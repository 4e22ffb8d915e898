// The e2e project's per-test and per-hook timeout (jest reads `testTimeout` from the global config only):
// above HANG_GUARD_MS in localCloud.ts, so that what a hang shows is the guard's message with what it saw.
jest.setTimeout(15 * 60_000);
