/**
 * How the operator's commands (`npm run ops -- --local`, ops/target.ts) find a running local cloud: it leaves
 * a file beside its data with its endpoints and the stack outputs as `pulumi stack output --json` prints them.
 */
import * as path from 'path';
import { ROOT } from './stacks';
import type { StackOutputs } from '../ops/outputs';

/** What a running local cloud tells the operator's commands about itself. */
export interface LocalCloudFile {
  readonly pid: number;
  readonly stack: string;
  readonly region: string;
  readonly endpoints: {
    readonly dynamodb: string;
    readonly sqs: string;
    readonly sfn: string;
    readonly logs: string;
    readonly lambda: string;
  };
  readonly outputs: StackOutputs;
}

/** Where a local cloud of `stack` leaves its {@link LocalCloudFile}: beside its data (`$DOFS_DATA_DIR` or `.dofs`). */
export const localCloudFile = (dataRoot: string | undefined, stack: string): string =>
  path.join(dataRoot ? path.resolve(dataRoot) : path.join(ROOT, '.dofs'), stack, 'local-cloud.json');
