/**
 * Which system the operator's commands act on: a deployed stack (its outputs from `pulumi stack output
 * --json`, or a file of them, and the AWS SDK's usual credentials and region), or a running local cloud
 * (the file it leaves beside its data: local/cloud.ts `localCloudFile`). The commands are the same code for
 * both; only the clients' endpoints differ.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type StackOutputs, OpsError, decodeOutputs } from './outputs';
import type { LocalCloudFile } from '../local/discovery';

export interface Target {
  /** What the commands print as the system they act on. */
  readonly description: string;
  readonly outputs: StackOutputs;
  readonly clients: Clients;
  /** Whether this is a local cloud (its waits compressed). */
  readonly local: boolean;
}

export interface Clients {
  readonly db: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly sqs: SQSClient;
  readonly logs: CloudWatchLogsClient;
  readonly lambda: LambdaClient;
  destroy(): void;
}

interface Connection {
  readonly region: string;
  readonly endpoints?: LocalCloudFile['endpoints'];
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

export const makeClients = ({ region, endpoints, credentials }: Connection): Clients => {
  const common = { region, ...(credentials ? { credentials } : {}) };
  const dynamo = new DynamoDBClient({ ...common, ...(endpoints ? { endpoint: endpoints.dynamodb } : {}) });
  const db = DynamoDBDocumentClient.from(dynamo);
  const sfn = new SFNClient({ ...common, ...(endpoints ? { endpoint: endpoints.sfn } : {}) });
  // The client's own endpoint, not the queue URL's host (@aws-sdk/middleware-sdk-sqs queue-url.ts): the same on AWS.
  const sqs = new SQSClient({ ...common, useQueueUrlAsEndpoint: false, ...(endpoints ? { endpoint: endpoints.sqs } : {}) });
  // FilterLogEvents is limited to 5 requests a second per account and region (a hard quota): throttled calls are
  // retried, adaptively, more times than the SDK's default 3 (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html).
  const logs = new CloudWatchLogsClient({
    ...common,
    maxAttempts: 8,
    retryMode: 'adaptive',
    ...(endpoints ? { endpoint: endpoints.logs } : {}),
  });
  const lambda = new LambdaClient({ ...common, ...(endpoints ? { endpoint: endpoints.lambda } : {}) });
  return {
    db,
    sfn,
    sqs,
    logs,
    lambda,
    destroy: () => {
      lambda.destroy();
      db.destroy();
      dynamo.destroy();
      sfn.destroy();
      sqs.destroy();
      logs.destroy();
    },
  };
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The running local cloud of `stack`, from the file it left in `dataRoot` (`$DOFS_DATA_DIR` or `.dofs`). */
export const localTarget = (file: string, stack: string): Target => {
  if (!fs.existsSync(file)) {
    throw new OpsError(`no local cloud of stack '${stack}' is running (no ${file}): start one with 'npm start -- --stack ${stack}'`);
  }
  const found = JSON.parse(fs.readFileSync(file, 'utf8')) as LocalCloudFile;
  if (!isAlive(found.pid)) {
    throw new OpsError(
      `the local cloud of stack '${stack}' that wrote ${file} (pid ${found.pid}) is not running: start one with 'npm start -- --stack ${stack}'`,
    );
  }
  const outputs = decodeOutputs(found.outputs, `the local cloud's ${file}`);
  return {
    description: `the local cloud of stack '${stack}' (${outputs.apiUrl})`,
    outputs,
    local: true,
    // The account owner's keys, as the local cloud itself uses them (local/common.ts CREDENTIALS).
    clients: makeClients({
      region: found.region,
      endpoints: found.endpoints,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  };
};

/** Runs `pulumi stack output --json --stack <stack>`; a missing CLI or stack is an error that says what to do. */
const pulumiOutputs = (stack: string): Promise<unknown> =>
  new Promise((resolve, reject) => {
    execFile('pulumi', ['stack', 'output', '--json', '--stack', stack], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        return reject(
          new OpsError(
            `the Pulumi CLI is not on PATH: install it, or pass --outputs FILE (written by 'pulumi stack output --json --stack ${stack} > FILE')`,
          ),
        );
      }
      if (error)
        return reject(
          new OpsError(`'pulumi stack output --json --stack ${stack}' failed: ${stderr.trim().split('\n').pop() ?? error.message}`),
        );
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new OpsError(`'pulumi stack output --json --stack ${stack}' printed no JSON`));
      }
    });
  });

/** A deployed stack: its outputs (from `file`, or the Pulumi CLI) and the SDK's default credentials. */
export const awsTarget = async (stack: string, file: string | undefined): Promise<Target> => {
  let raw: unknown;
  if (file !== undefined) {
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new OpsError(`--outputs '${file}' is not a JSON file of stack outputs (${(e as Error).message.split('\n')[0]})`);
    }
  } else {
    raw = await pulumiOutputs(stack);
  }
  const outputs = decodeOutputs(raw, file !== undefined ? `--outputs '${file}'` : `stack '${stack}'`);
  return {
    description: `stack '${stack}' in ${outputs.operations.region}`,
    outputs,
    local: false,
    clients: makeClients({ region: outputs.operations.region }),
  };
};
