import { transientError } from './errors';

/** The fault settings of one function, from the `DOFS_FAULTS` environment variable. */
export interface FunctionFaults {
  readonly errorRate?: number;
  readonly timeoutRate?: number;
}

/**
 * Fault injection for tests: throws a {@link transientError} with probability `errorRate`, or hangs past
 * the function's timeout with probability `timeoutRate`. Never configured on protected stacks. A caller
 * runs it where a real failure would happen, so that an injected fault is answered as a real one is.
 */
export const makeFaultInjector =
  (faults: FunctionFaults, random: () => number = Math.random, hangMs = 15 * 60 * 1000) =>
  async (where: string): Promise<void> => {
    if ((faults.errorRate ?? 0) > 0 && random() < faults.errorRate!) {
      throw transientError(`injected fault in ${where}`);
    }
    if ((faults.timeoutRate ?? 0) > 0 && random() < faults.timeoutRate!) {
      // Unref'd: a hang the caller stopped waiting for (the api-handler's deadline) holds no process open.
      await new Promise((resolve) => setTimeout(resolve, hangMs).unref());
    }
  };
