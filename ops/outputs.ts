/**
 * The stack outputs the operator's commands read: what `pulumi stack output --json` prints for a deployed
 * stack (index.ts exports them), and what the local cloud writes for itself (local/cloud.ts). Decoded once;
 * a stack deployed before an output existed is refused with what to do.
 */
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/Either';

export const OperationsOutput = t.type({
  region: t.string,
  queueArn: t.string,
  dlqArn: t.string,
  workflowType: t.keyof({ STANDARD: null, EXPRESS: null }),
  logGroups: t.record(t.string, t.string),
  stuckOrderMinutes: t.number,
  redriveMaxAttempts: t.number,
  dlqHandlerMappingUuid: t.string,
});
export type OperationsOutput = t.TypeOf<typeof OperationsOutput>;

export const StackOutputs = t.type({
  apiUrl: t.string,
  ordersTableName: t.string,
  failedOrdersTableName: t.string,
  queueUrl: t.string,
  dlqUrl: t.string,
  stateMachineArn: t.string,
  operations: OperationsOutput,
});
export type StackOutputs = t.TypeOf<typeof StackOutputs>;

/** A problem the operator can fix (no stack, outputs of an older version, bad flags): one line, exit 1. */
export class OpsError extends Error {
  constructor(
    message: string,
    /** 2 for a usage error (a bad flag or argument), 1 otherwise. */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'OpsError';
  }
}

/** Decodes the outputs of stack `source`; a missing or ill-typed one names the output and what to do. */
export const decodeOutputs = (raw: unknown, source: string): StackOutputs => {
  const decoded = StackOutputs.decode(raw);
  if (isLeft(decoded)) {
    const problems = decoded.left.map((e) => {
      const at = e.context
        .map((c) => c.key)
        .filter((k) => k !== '')
        .join('.');
      return `output '${at}' is ${e.value === undefined ? 'missing' : JSON.stringify(e.value)}`;
    });
    throw new OpsError(
      `${source} lacks the outputs this version of the ops commands reads (${problems.slice(0, 3).join('; ')}): run 'pulumi up' on the stack with this commit first`,
    );
  }
  return decoded.right;
};
