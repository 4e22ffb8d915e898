import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../config';
import packageJson from '../package.json';
import { ROLE_PATH, type Statement, assumeRolePolicy, policyDocument } from './policy';
import { type Handler, type LambdaFnOf, lambdaFn } from './workflow';

/**
 * Packages never shipped in a function's archive:
 * - the AWS SDK v3, which the nodejs22.x runtime provides;
 * - the Node.js binaries that run the local tools (package.json `optionalDependencies`). Pulumi's serializer
 *   reads package.json through normalize-package-data, which merges `optionalDependencies` into
 *   `dependencies` (@pulumi/pulumi runtime/closure/codePaths.ts), so without this each zip would carry Node.
 */
export const BUNDLE_EXCLUDED_PACKAGES: readonly string[] = [
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/client-sfn',
  '@aws-sdk/client-sqs',
  ...Object.keys(packageJson.optionalDependencies),
];

/** The settings every DOFS function shares, when the stack config does not set them. */
export const FUNCTION_DEFAULTS: FunctionSettings = {
  logRetentionDays: 14,
  logLevel: 'INFO',
  tracing: true,
};

/**
 * The `applicationLogLevel` Lambda filters a function's lines at, for the stack's `logLevel`.
 *
 * The code filters its own lines at `logLevel` (`LOG_LEVEL`, `runtime/log.ts`), but its CloudWatch
 * Embedded Metric Format lines carry no `level`, and Lambda takes such a line as INFO: "If the level
 * value field is invalid or missing, Lambda will assign the log output the level INFO"
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html). Filtered at
 * WARN, as prod's `logLevel` once was passed straight through, Lambda dropped every metric line and with
 * them the metrics the alarms and dashboards read. So Lambda keeps INFO and above (DEBUG when the stack
 * asks for it) and the code does the rest of the filtering.
 */
export const applicationLogLevelFor = (logLevel: StackConfig['logLevel']): 'DEBUG' | 'INFO' => (logLevel === 'DEBUG' ? 'DEBUG' : 'INFO');

/** Settings every DOFS function shares, from the stack config. */
export interface FunctionSettings {
  readonly logRetentionDays: number;
  readonly logLevel: StackConfig['logLevel'];
  readonly tracing: boolean;
}

export interface InlineFunctionArgs<H extends Handler> extends FunctionSettings {
  /** Builds the handler once per container: clients, codecs and env are created inside it. */
  readonly factory: () => H;
  /** What the function may do, besides writing its own logs and traces. */
  readonly statements: readonly Statement[];
  readonly environment: Record<string, pulumi.Input<string>>;
  /** Seconds. */
  readonly timeout: number;
  /** MB. */
  readonly memorySize: number;
  readonly description: string;
  /** Fault injection for tests (JSON), passed as DOFS_FAULTS. */
  readonly faults?: object;
}

/**
 * An inline `aws.lambda.CallbackFunction` with its own role (exactly `statements` plus its log group and
 * X-Ray), its own log group with retention, JSON logs, arm64 and nodejs22.x. Never the default role.
 * `H` is the handler its factory returns; `ref` carries it to the workflow task that invokes the function.
 */
export class InlineFunction<H extends Handler> extends pulumi.ComponentResource {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- typed by H would need a cast; `ref` carries the type
  readonly function: aws.lambda.CallbackFunction<any, any>;
  /** The function as a workflow task sees it: its ARN, typed by the handler. */
  readonly ref: LambdaFnOf<H>;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly policy: aws.iam.RolePolicy;

  constructor(name: string, args: InlineFunctionArgs<H>, opts?: pulumi.ComponentResourceOptions) {
    super('dofs:index:InlineFunction', name, {}, opts);
    this.logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: args.logRetentionDays }, { parent: this });
    this.role = new aws.iam.Role(
      `${name}-role`,
      { path: ROLE_PATH, assumeRolePolicy: assumeRolePolicy('lambda.amazonaws.com'), description: `DOFS ${name}` },
      { parent: this },
    );
    const statements: Statement[] = [
      ...args.statements,
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [pulumi.interpolate`${this.logGroup.arn}:*`] },
    ];
    if (args.tracing) {
      // X-Ray's write actions support no resource-level permissions: AWS requires "*".
      statements.push({ Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: ['*'] });
    }
    this.policy = new aws.iam.RolePolicy(`${name}-policy`, { role: this.role.id, policy: policyDocument(statements) }, { parent: this });
    const environment: Record<string, pulumi.Input<string>> = {
      ...args.environment,
      LOG_LEVEL: args.logLevel,
      // A dimension of every metric: stacks sharing an account and the DOFS namespace stay apart.
      DOFS_STACK: pulumi.getStack(),
    };
    if (args.faults !== undefined) environment.DOFS_FAULTS = JSON.stringify(args.faults);
    this.function = new aws.lambda.CallbackFunction(
      name,
      {
        callbackFactory: args.factory,
        role: this.role,
        runtime: aws.lambda.Runtime.NodeJS22dX,
        architectures: ['arm64'],
        memorySize: args.memorySize,
        timeout: args.timeout,
        description: args.description,
        environment: { variables: environment },
        loggingConfig: {
          logFormat: 'JSON',
          logGroup: this.logGroup.name,
          applicationLogLevel: applicationLogLevelFor(args.logLevel),
          systemLogLevel: 'WARN',
        },
        tracingConfig: { mode: args.tracing ? 'Active' : 'PassThrough' },
        codePathOptions: { extraExcludePackages: [...BUNDLE_EXCLUDED_PACKAGES] },
      },
      { parent: this, dependsOn: [this.policy, this.logGroup] },
    );
    this.ref = lambdaFn<H>(this.function.arn, args.timeout);
    this.registerOutputs({ functionArn: this.function.arn, roleArn: this.role.arn });
  }
}
