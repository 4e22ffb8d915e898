/**
 * Runs the real Pulumi program under `pulumi.runtime.setMocks` with a stack's own Pulumi.<stack>.yaml and
 * records every resource it declares, with the inputs `pulumi up` would send. Used by the infra and
 * serialization tests, the bundle report and the local cloud. Mocks are process-wide: one `synth` per
 * process (or jest file).
 */
import { randomBytes } from 'crypto';
import type * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as runtimeSettings from '@pulumi/pulumi/runtime/settings';
import { stackConfig } from './stacks';

export { ROOT, stackConfig } from './stacks';

/** The resource types whose inputs the local cloud reads, with the provider's own argument types. */
export interface InputsByType {
  'aws:apigateway/integration:Integration': aws.apigateway.IntegrationArgs;
  'aws:apigateway/method:Method': aws.apigateway.MethodArgs;
  'aws:apigateway/model:Model': aws.apigateway.ModelArgs;
  'aws:apigateway/requestValidator:RequestValidator': aws.apigateway.RequestValidatorArgs;
  'aws:apigateway/resource:Resource': aws.apigateway.ResourceArgs;
  'aws:apigateway/response:Response': aws.apigateway.ResponseArgs;
  'aws:apigateway/stage:Stage': aws.apigateway.StageArgs;
  'aws:dynamodb/table:Table': aws.dynamodb.TableArgs;
  'aws:iam/policy:Policy': aws.iam.PolicyArgs;
  'aws:iam/role:Role': aws.iam.RoleArgs;
  'aws:iam/rolePolicy:RolePolicy': aws.iam.RolePolicyArgs;
  'aws:iam/rolePolicyAttachment:RolePolicyAttachment': aws.iam.RolePolicyAttachmentArgs;
  'aws:lambda/eventSourceMapping:EventSourceMapping': aws.lambda.EventSourceMappingArgs;
  'aws:lambda/function:Function': aws.lambda.FunctionArgs;
  'aws:sfn/stateMachine:StateMachine': aws.sfn.StateMachineArgs;
  'aws:sqs/queue:Queue': aws.sqs.QueueArgs;
}

/** One declared resource, with the inputs `pulumi up` would send (every Output resolved). */
export interface Recorded {
  readonly type: string;
  readonly name: string;
  /** Untyped, for tests that look into any resource; the local cloud reads them through `ofType`. */
  readonly inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The top-level inputs that were Pulumi secrets (their values are in `inputs`, unwrapped). */
  readonly secretInputs?: readonly string[];
}

/** How the mock monitor hands over a secret value (@pulumi/pulumi runtime/rpc.ts `specialSigKey`, `specialSecretSig`). */
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
const isSecretValue = (v: unknown): v is { value: unknown } =>
  v !== null && typeof v === 'object' && (v as Record<string, unknown>)['4dabf18193072939515e22adb298388d'] === SECRET_SIG;
const unwrapSecrets = (v: unknown): unknown =>
  isSecretValue(v)
    ? unwrapSecrets(v.value)
    : Array.isArray(v)
      ? v.map(unwrapSecrets)
      : v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype // not an asset or archive
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]))
        : v;

/** A declared resource of a type the local cloud reads, with the provider's argument types. */
export interface RecordedOf<T extends keyof InputsByType> {
  readonly type: T;
  readonly name: string;
  readonly inputs: pulumi.Unwrap<InputsByType[T]>;
}

/** The declared resources of one type, with that type's inputs. */
export const ofType = <T extends keyof InputsByType>(resources: readonly Recorded[], type: T): RecordedOf<T>[] =>
  resources.filter((r) => r.type === type) as unknown as RecordedOf<T>[];

/** Resolves an Output in a test (mocks resolve every Output). */
export const resolve = <T>(o: pulumi.Input<T>): Promise<T> => new Promise((res) => pulumi.output(o).apply((v) => res(v as T)));

/**
 * Resolves once the Pulumi runtime has no resource registration in flight (a CallbackFunction registers
 * only after its code is serialized). `waitForRPCs` is exported by the runtime but not typed.
 */
export const registrationsSettled = (): Promise<void> => (runtimeSettings as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs();

const arnFor = (type: string, name: string, inputs: Recorded['inputs']): string => {
  const service = type.split(':')[1].split('/')[0];
  // IAM is global: no region in its ARNs, and a role's or policy's path is part of its ARN.
  const iamName = `${(inputs.path as string | undefined) ?? '/'}${(inputs.name as string | undefined) ?? name}`;
  if (type === 'aws:iam/role:Role') return `arn:aws:iam::123456789012:role${iamName}`;
  if (type === 'aws:iam/policy:Policy') return `arn:aws:iam::123456789012:policy${iamName}`;
  if (type === 'aws:sfn/stateMachine:StateMachine') return `arn:aws:states:eu-west-1:123456789012:stateMachine:${name}`;
  if (type === 'aws:dynamodb/table:Table') return `arn:aws:dynamodb:eu-west-1:123456789012:table/${name}`;
  if (type === 'aws:cloudwatch/logGroup:LogGroup') return `arn:aws:logs:eu-west-1:123456789012:log-group:${name}`;
  if (type === 'aws:lambda/function:Function') return `arn:aws:lambda:eu-west-1:123456789012:function:${name}`;
  return `arn:aws:${service}:eu-west-1:123456789012:${name}`;
};

/** What the program's `random.RandomBytes` resources hold: fresh bytes, unless the caller keeps them. */
export type RandomBytesSource = (name: string, length: number) => Buffer;

export const synth = async (
  stack: string,
  raw: Record<string, string> = stackConfig(stack),
  randomBytesFor: RandomBytesSource = (_, length) => randomBytes(length),
  /** The API Gateway account's CloudWatch role as `Account.get` reads it; '' for a fresh account. */
  accountRole = 'arn:aws:iam::123456789012:role/apigateway-cloudwatch',
  /** 'aws' names resources as index.ts does on AWS (dofs-dev-orders); 'local' as the local cloud does (dofs-orders). */
  names: 'local' | 'aws' = 'local',
) => {
  const resources: Recorded[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const raw = args.inputs as Record<string, unknown>;
        const inputs = unwrapSecrets(raw) as Recorded['inputs'];
        const secretInputs = Object.keys(raw).filter((k) => isSecretValue(raw[k]));
        resources.push({ type: args.type, name: args.name, inputs, secretInputs });
        const arn = arnFor(args.type, args.name, inputs);
        const state: Record<string, unknown> = { ...inputs, arn, name: (inputs.name as string | undefined) ?? args.name };
        if (args.type === 'aws:sqs/queue:Queue') state.url = `https://sqs.eu-west-1.amazonaws.com/123456789012/${args.name}`;
        if (args.type === 'aws:lambda/function:Function')
          state.invokeArn = `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/${arn}/invocations`;
        if (args.type === 'aws:apigateway/restApi:RestApi') {
          state.rootResourceId = 'root';
          state.executionArn = `arn:aws:execute-api:eu-west-1:123456789012:${args.name}`;
        }
        if (args.type === 'random:index/randomBytes:RandomBytes') {
          // The provider's outputs (pulumi-random randomBytes.ts): the bytes as base64 and hex, both secret.
          const bytes = randomBytesFor(args.name, Number(inputs.length));
          Object.assign(state, { base64: bytes.toString('base64'), hex: bytes.toString('hex') });
        }
        // A read of the API Gateway account (`Account.get`): the account as `accountRole` says it is set.
        if (args.type === 'aws:apigateway/account:Account' && args.id !== undefined && args.id !== '')
          state.cloudwatchRoleArn = accountRole;
        if (args.type === 'aws:lambda/eventSourceMapping:EventSourceMapping') state.uuid = mappingUuidOf(args.name);
        if (args.type === 'aws:apigateway/stage:Stage') state.invokeUrl = `https://api.example.com/${inputs.stageName as string}`;
        // A role's id is its name, as the provider sets it (what a RolePolicy's `role: role.id` then names).
        return { id: args.type === 'aws:iam/role:Role' ? (state.name as string) : `${args.name}-id`, state };
      },
      call: (args) => {
        if (args.token === 'aws:index/getRegion:getRegion') return { region: 'eu-west-1', name: 'eu-west-1', id: 'eu-west-1' };
        if (args.token === 'aws:index/getCallerIdentity:getCallerIdentity')
          return { accountId: '123456789012', arn: 'arn:aws:iam::123456789012:user/dofs', userId: 'AIDA', id: '123456789012' };
        return args.inputs as Record<string, unknown>;
      },
    },
    'dofs',
    stack,
    false,
  );
  // An error thrown in an apply that no input awaits (a failed check) ends a real `pulumi up` through the
  // runtime's unhandled-rejection handler ("Running program ... failed with an unhandled exception"): the
  // same here, or the outputs that wait on it would never resolve.
  let fail: (e: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  process.on('unhandledRejection', fail);
  try {
    return await Promise.race([failed, run(stack, raw, resources, names)]);
  } finally {
    process.off('unhandledRejection', fail);
  }
};

/** The UUID Lambda gives an event source mapping (the provider's `uuid`), as these mocks and the local cloud make it. */
export const mappingUuidOf = (name: string): string => `${name}-uuid`;

const run = async (stack: string, raw: Record<string, string>, resources: Recorded[], names: 'local' | 'aws') => {
  const { decodeConfig } = await import('../config');
  const { awsResourceBase, createDofs } = await import('../program');
  const config = decodeConfig(raw, stack);
  // The local cloud runs one stack per process: its names need no scope (tests and operators say dofs-orders).
  const dofs = createDofs(config, names === 'aws' ? awsResourceBase(stack) : 'dofs');
  // Every output resolves only after every resource it depends on was registered.
  const [apiUrl, stateMachineArn, queueUrl, dlqUrl, ordersTableName, failedOrdersTableName, operations] = await resolve(
    pulumi.all([
      dofs.apiUrl,
      dofs.stateMachineArn,
      dofs.queueUrl,
      dofs.dlqUrl,
      dofs.ordersTableName,
      dofs.failedOrdersTableName,
      dofs.operations,
    ]),
  );
  /** The stack outputs as `pulumi stack output --json` prints them (index.ts exports these). */
  const outputs = { apiUrl, stateMachineArn, queueUrl, dlqUrl, ordersTableName, failedOrdersTableName, operations };
  // ...and a CallbackFunction registers only once its code is serialized, which on a busy machine can come
  // later still: wait until the runtime has no registration in flight.
  await registrationsSettled();
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  const named = (type: string, name: string) => {
    const r = resources.find((x) => x.type === type && x.name === name);
    if (!r)
      throw new Error(
        `no ${type} named ${name}; have: ${ofType(type)
          .map((x) => x.name)
          .join(', ')}`,
      );
    return r;
  };
  return { config, dofs, outputs, resources, ofType, named };
};

/** A role policy document, parsed. */
export const policyOf = (r: Recorded): { Statement: { Effect: string; Action: string[]; Resource: string[]; Condition?: unknown }[] } =>
  JSON.parse(r.inputs.policy as string) as ReturnType<typeof policyOf>;
