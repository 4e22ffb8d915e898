import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { AwsJsonError, type Decoded, type InputShape, SERVICE_NAMESPACE, decodeMembers, parseBody } from './awsJson';

export interface LocalStateMachineSpec {
  readonly arn: string;
  readonly name: string;
  readonly type: 'STANDARD' | 'EXPRESS';
}

/** An execution to run: what StartExecution was given. */
export interface ExecutionRequest {
  readonly executionArn: string;
  readonly name: string;
  readonly input: string;
}

/** How an execution ended, as DescribeExecution reports it. */
export interface ExecutionOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** Runs an execution to its end (the interpreter, `local/interpreter.ts`, in the back-end thread). */
export type ExecutionRunner = (execution: ExecutionRequest) => Promise<ExecutionOutcome>;

interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly startDate: number;
  stopDate?: number;
  readonly input: string;
  output?: string;
  error?: string;
  cause?: string;
}

// The operations' input shapes, with the member constraints of the service model
// (botocore data/stepfunctions/2016-11-23/service-2.json: Arn 1-256, Name 1-80, SensitiveData at most
// 262,144 UTF-8 bytes, ...).
const ARN = { type: 'string', min: 1, max: 256 } as const;
const SHAPES = {
  StartExecution: {
    stateMachineArn: { ...ARN, required: true },
    name: { type: 'string', min: 1, max: 80 },
    input: { type: 'string', max: 262144, bytes: true, sensitive: true },
    traceHeader: {
      type: 'string',
      min: 0,
      max: 256,
      pattern: { source: '\\p{ASCII}*', test: (s: string) => [...s].every((c) => c.charCodeAt(0) < 0x80) },
    },
  },
  DescribeExecution: { executionArn: { ...ARN, required: true }, includedData: { type: 'string', enum: ['ALL_DATA', 'METADATA_ONLY'] } },
} as const satisfies Record<string, InputShape>;

type Operation = keyof typeof SHAPES;
type Input<O extends Operation> = Decoded<(typeof SHAPES)[O]>;

const error = (type: string, message: string) => new AwsJsonError(type, message);

/**
 * Checks that an ARN names a resource of one of the `allowed` types. Wording from recorded AWS responses:
 * "Invalid Arn: 'Invalid ARN prefix: ...'" and "Invalid Arn: 'Resource type not valid in this context: express'".
 */
const requireArn = (arn: string, allowed: readonly string[]): { resourceType: string } => {
  if (!/^arn:aws[a-z-]*:states:/.test(arn)) throw error('InvalidArn', `Invalid Arn: 'Invalid ARN prefix: ${arn}'`);
  const m = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:([A-Za-z]+):[^:]+(:[^:]+)*$/.exec(arn);
  if (!m) throw error('InvalidArn', `Invalid Arn: '${arn}'`);
  if (!allowed.includes(m[1])) throw error('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${m[1].toLowerCase()}'`);
  return { resourceType: m[1] };
};

const FORBIDDEN_IN_NAMES = new Set([...' <>{}[]?*"#%\\^|~`$&,;:/']);

/**
 * Whether an execution name breaks StartExecution's rules: no white space, brackets, wildcards, the
 * special characters " # % \ ^ | ~ ` $ & , ; : /, control characters (U+0000-001F, U+007F-009F,
 * U+FFFE-FFFF), surrogates (U+D800-DFFF) or U+10FFFF.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#StepFunctions-StartExecution-request-name
 */
export const isInvalidExecutionName = (name: string): boolean => {
  for (const ch of name) {
    const cp = ch.codePointAt(0)!;
    if (
      FORBIDDEN_IN_NAMES.has(ch) ||
      /\s/u.test(ch) ||
      cp <= 0x1f ||
      (cp >= 0x7f && cp <= 0x9f) ||
      cp === 0xfffe ||
      cp === 0xffff ||
      (cp >= 0xd800 && cp <= 0xdfff) ||
      cp === 0x10ffff
    )
      return true;
  }
  return false;
};

const seconds = (ms: number) => ms / 1000;

/**
 * A Step Functions endpoint for the one state machine the program declares, speaking the AWS JSON 1.0
 * protocol (`X-Amz-Target: AWSStepFunctions.<Operation>`), so that the AWS SDKs and the AWS CLI work
 * against it. Operations, each as its page of the API reference describes it:
 * - StartExecution: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 * - DescribeExecution: https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 * Errors: https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html and each page's
 * Errors section. STANDARD deduplicates executions by name (same name and input while it runs: the same
 * execution; otherwise ExecutionAlreadyExists); EXPRESS starts every request and keeps no record, so the
 * operations on executions answer as AWS does for EXPRESS. `runner` carries each execution out.
 */
export class LocalStepFunctions {
  private readonly executions = new Map<string, ExecutionRecord>();
  private server?: http.Server;
  endpoint = '';

  constructor(
    readonly spec: LocalStateMachineSpec,
    private readonly runner: ExecutionRunner,
  ) {}

  async listen(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        const reply = (status: number, payload: unknown) => {
          res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': randomUUID() });
          res.end(JSON.stringify(payload));
        };
        Promise.resolve(String(req.headers['x-amz-target'] ?? ''))
          .then((target) => this.handle(target, Buffer.concat(chunks).toString('utf8')))
          .then(
            (payload) => reply(200, payload),
            (e: unknown) => {
              if (e instanceof AwsJsonError) return reply(e.status, e.body);
              // A fault of the emulator itself, as AWS reports its own (https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html).
              reply(500, { __type: `${SERVICE_NAMESPACE}#InternalFailure`, message: (e as Error).message });
            },
          );
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * One request: its `X-Amz-Target` and body. As an AWS JSON service's front door: a body that is not a
   * JSON object is a SerializationException and a target that names no operation an
   * UnknownOperationException, both 400; then the operation's input shape (ValidationException), then the
   * operation's own checks. Throws AwsJsonError; the answer of some operations is a promise.
   */
  handle(target: string, bodyText: string): unknown {
    const body = parseBody(bodyText);
    const operation = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : undefined;
    if (operation === undefined || !Object.hasOwn(SHAPES, operation)) {
      throw new AwsJsonError(
        'UnknownOperationException',
        `${target ? `'${target}'` : 'A request without X-Amz-Target'} names no operation the local Step Functions endpoint serves: ` +
          `it serves AWSStepFunctions.${Object.keys(SHAPES).join(', AWSStepFunctions.')}`,
        SERVICE_NAMESPACE,
      );
    }
    const op = operation as Operation;
    switch (op) {
      case 'StartExecution':
        return this.startExecution(decodeMembers(body, SHAPES.StartExecution));
      case 'DescribeExecution':
        return this.describeExecution(decodeMembers(body, SHAPES.DescribeExecution));
    }
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html */
  startExecution(req: Input<'StartExecution'>): { executionArn: string; startDate: number } {
    requireArn(req.stateMachineArn, ['stateMachine']);
    this.requireStateMachine(req.stateMachineArn);
    const name = req.name ?? randomUUID();
    if (isInvalidExecutionName(name)) throw error('InvalidName', `Invalid Name: '${name}'`);
    const input = req.input ?? '{}';
    try {
      if (input.trim() === '') throw new Error('Invalid execution input.');
      JSON.parse(input);
    } catch (e) {
      throw error('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(e as Error).message}'`);
    }
    const existing = this.executions.get(name);
    if (existing && this.spec.type === 'STANDARD') {
      if (existing.input === input && existing.status === 'RUNNING')
        return { executionArn: existing.executionArn, startDate: seconds(existing.startDate) };
      throw error('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
    }
    const base = `${this.spec.arn.replace(':stateMachine:', this.spec.type === 'EXPRESS' ? ':express:' : ':execution:')}:${name}`;
    const record: ExecutionRecord = {
      executionArn: this.spec.type === 'EXPRESS' ? `${base}:${randomUUID()}` : base,
      stateMachineArn: this.spec.arn,
      name,
      status: 'RUNNING',
      startDate: Date.now(),
      input,
    };
    if (this.spec.type === 'STANDARD') this.executions.set(name, record);
    this.run(record);
    return { executionArn: record.executionArn, startDate: seconds(record.startDate) };
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html */
  describeExecution(req: Input<'DescribeExecution'>): Record<string, unknown> {
    const record = this.requireExecution(req.executionArn);
    const out: Record<string, unknown> = {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: seconds(record.startDate),
      input: record.input,
      inputDetails: { included: true },
      redriveCount: 0,
    };
    if (record.stopDate !== undefined) out.stopDate = seconds(record.stopDate);
    if (record.output !== undefined) Object.assign(out, { output: record.output, outputDetails: { included: true } });
    if (record.error !== undefined) out.error = record.error;
    if (record.cause !== undefined) out.cause = record.cause;
    return out;
  }

  private requireStateMachine(arn: string): void {
    if (arn !== this.spec.arn) throw error('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  }

  /** The STANDARD execution an ARN names; an EXPRESS execution ARN is InvalidArn, as AWS answers it. */
  private requireExecution(executionArn: string): ExecutionRecord {
    requireArn(executionArn, ['execution']);
    const record = [...this.executions.values()].find((e) => e.executionArn === executionArn);
    if (!record) throw error('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  private run(record: ExecutionRecord): void {
    this.runner({ executionArn: record.executionArn, name: record.name, input: record.input }).then(
      (outcome) => Object.assign(record, outcome, { stopDate: Date.now() }),
      // The interpreter itself failed (not the execution): reported as Step Functions reports its own faults.
      (e: Error) => Object.assign(record, { status: 'FAILED', error: 'States.Runtime', cause: e.message, stopDate: Date.now() }),
    );
  }

  async stop(): Promise<void> {
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }
}
