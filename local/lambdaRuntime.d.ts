/** The error body the Lambda Node.js runtime posts for a failed invocation (see lambdaRuntime.js). */
export interface RapidErrorResponse {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: string[];
}

export function toRapidResponse(error: unknown): RapidErrorResponse;
export function invocationError(thrown: unknown): RapidErrorResponse;
export function serializeResponse(result: unknown): string;
export function loadHandler(taskRoot: string, handler: string): (...args: unknown[]) => unknown;
export const LEVELS: readonly ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
export function patchConsole(
  env: NodeJS.ProcessEnv,
  requestId: () => string | undefined,
  write: (line: string) => void,
): (label: string, error: unknown) => void;
