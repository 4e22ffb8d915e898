import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { AwsJsonError, type Decoded, type InputShape, SERVICE_NAMESPACE, decodeMembers, parseBody, requireJsonMediaType } from './awsJson';
import type { HistoryEvent } from './executionHistory';

export interface LocalStateMachineSpec {
  readonly arn: string;
  readonly name: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  /** The ASL as declared, which DescribeStateMachine returns. */
  readonly definition: string;
  readonly roleArn: string;
  /** When the local cloud made it (ms since the epoch). */
  readonly creationDate: number;
  /** DescribeStateMachine's `loggingConfiguration` and `tracingConfiguration`, in the API's shape. */
  readonly loggingConfiguration?: object;
  readonly tracingConfiguration?: object;
}

/** An execution to run: what StartExecution was given. */
export interface ExecutionRequest {
  readonly executionArn: string;
  readonly name: string;
  readonly input: string;
}

/** How an execution ended, as DescribeExecution reports it. */
export interface ExecutionOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** Carries executions out (the interpreter, `local/interpreter.ts`, in the back-end thread). */
export interface ExecutionRunner {
  /** Runs an execution to its end. */
  run(execution: ExecutionRequest): Promise<ExecutionOutcome>;
  /**
   * Stops a running or waiting execution (StopExecution); its history then ends with ExecutionAborted.
   * Resolves true if it stopped it, false if the execution had already ended: its outcome has then been
   * delivered (`run` has settled) before this resolves.
   */
  stop(executionArn: string, reason: { readonly error?: string; readonly cause?: string }): Promise<boolean>;
  /** The execution's history so far, oldest first (empty for an execution it keeps none of). */
  history(executionArn: string): Promise<readonly HistoryEvent[]>;
}

/**
 * At-least-once behaviour the local Step Functions shows on request (`npm start -- --duplicate-executions`): on
 * AWS it happens rarely and unseen, here often enough for a test to meet it.
 */
export interface StepFunctionsChaos {
  /** The share of an EXPRESS state machine's executions run a second time (0 to 1); a STANDARD one ignores it. */
  readonly duplicateExecutions: number;
  /** Where each execution run a second time is announced, one line naming it. */
  readonly log: (line: string) => void;
  /** The draw for each execution (tests). */
  readonly random?: () => number;
}

interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  /** Orders executions that started in the same millisecond (ListExecutions lists the most recent first). */
  readonly seq: number;
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
// 262,144 UTF-8 bytes, PageSize 0-1000, PageToken 1-1024, ListExecutionsPageToken 1-3096, ...).
const ARN = { type: 'string', min: 1, max: 256 } as const;
const PAGE_SIZE = { type: 'integer', min: 0, max: 1000 } as const;
const PAGE_TOKEN = { type: 'string', min: 1, max: 1024 } as const;
const INCLUDED_DATA = {
  type: 'string',
  enum: ['ALL_DATA', 'METADATA_ONLY'],
} as const;

const SHAPES = {
  StartExecution: {
    stateMachineArn: { ...ARN, required: true },
    name: { type: 'string', min: 1, max: 80 },
    input: { type: 'string', max: 262144, bytes: true, sensitive: true },
    traceHeader: {
      type: 'string',
      min: 0,
      max: 256,
      pattern: {
        source: '\\p{ASCII}*',
        test: (s: string) => [...s].every((c) => c.charCodeAt(0) < 0x80),
      },
    },
  },
  DescribeExecution: {
    executionArn: { ...ARN, required: true },
    includedData: INCLUDED_DATA,
  },
  ListStateMachines: { maxResults: PAGE_SIZE, nextToken: PAGE_TOKEN },
  DescribeStateMachine: {
    stateMachineArn: { ...ARN, required: true },
    includedData: INCLUDED_DATA,
  },
  ListExecutions: {
    stateMachineArn: ARN,
    // The enum's order as AWS lists it in its validation message (a recorded response).
    statusFilter: {
      type: 'string',
      enum: ['SUCCEEDED', 'TIMED_OUT', 'PENDING_REDRIVE', 'ABORTED', 'FAILED', 'RUNNING'],
    },
    maxResults: PAGE_SIZE,
    nextToken: { type: 'string', min: 1, max: 3096 },
    mapRunArn: { type: 'string', min: 1, max: 2000 },
    redriveFilter: { type: 'string', enum: ['REDRIVEN', 'NOT_REDRIVEN'] },
  },
  GetExecutionHistory: {
    executionArn: { ...ARN, required: true },
    maxResults: PAGE_SIZE,
    reverseOrder: { type: 'boolean' },
    nextToken: PAGE_TOKEN,
    includeExecutionData: { type: 'boolean' },
  },
  StopExecution: {
    executionArn: { ...ARN, required: true },
    error: { type: 'string', min: 0, max: 256, sensitive: true },
    cause: { type: 'string', min: 0, max: 32768, sensitive: true },
  },
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

/**
 * One page of `items` (already in the order they are listed in) after the item a `nextToken` names, and the
 * token for the next page. maxResults 0 or absent means the default of 100. A token that names no item is
 * InvalidToken (wording of AWS's answer as LocalStack records it).
 */
const paginate = <T>(items: readonly T[], key: (item: T) => string, maxResults = 0, nextToken?: string) => {
  let start = 0;
  if (nextToken !== undefined) {
    let after: unknown;
    try {
      after = (
        JSON.parse(Buffer.from(nextToken, 'base64url').toString('utf8')) as {
          after?: unknown;
        }
      ).after;
    } catch {
      after = undefined;
    }
    const i = items.findIndex((item) => key(item) === after);
    if (i < 0) throw error('InvalidToken', "Invalid Token: 'Invalid token'");
    start = i + 1;
  }
  const size = maxResults === 0 ? 100 : maxResults;
  const page = items.slice(start, start + size);
  const more = start + size < items.length;
  return {
    page,
    nextToken: more ? Buffer.from(JSON.stringify({ after: key(page[page.length - 1]) })).toString('base64url') : undefined,
  };
};

const seconds = (ms: number) => ms / 1000;

/** An event without its execution data (`includeExecutionData: false`): inputs, outputs and parameters. */
const withoutData = (event: HistoryEvent): HistoryEvent =>
  Object.fromEntries(
    Object.entries(event).map(([key, value]) => [
      key,
      key.endsWith('EventDetails')
        ? Object.fromEntries(Object.entries(value as object).filter(([k]) => !['input', 'output', 'parameters'].includes(k)))
        : value,
    ]),
  ) as HistoryEvent;

/**
 * A Step Functions endpoint for the one state machine the program declares, speaking the AWS JSON 1.0
 * protocol (`X-Amz-Target: AWSStepFunctions.<Operation>`), so that the AWS SDKs and the AWS CLI work
 * against it. Operations, each as its page of the API reference describes it:
 * - StartExecution: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 * - DescribeExecution: https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 * - ListExecutions: https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
 * - ListStateMachines: https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListStateMachines.html
 * - DescribeStateMachine: https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html
 * - GetExecutionHistory: https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html
 * - StopExecution: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html
 * Errors: https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html and each page's
 * Errors section. STANDARD deduplicates executions by name (same name and input while it runs: the same
 * execution; otherwise ExecutionAlreadyExists); EXPRESS starts every request and keeps no record, so the
 * operations on executions answer as AWS does for EXPRESS. `runner` carries each execution out.
 */
export class LocalStepFunctions {
  private readonly executions = new Map<string, ExecutionRecord>();
  private nextSeq = 0;
  /** Executions run a second time so far: they alternate between at once and after the first. */
  private duplicated = 0;
  private server?: http.Server;
  endpoint = '';

  constructor(
    readonly spec: LocalStateMachineSpec,
    private readonly runner: ExecutionRunner,
    private readonly chaos?: StepFunctionsChaos,
  ) {}

  async listen(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('error', () => res.destroy()); // a client that went away mid-request gets no answer
      req.on('end', () => {
        const reply = (status: number, payload: unknown) => {
          res.writeHead(status, {
            'Content-Type': 'application/x-amz-json-1.0',
            'x-amzn-RequestId': randomUUID(),
          });
          res.end(JSON.stringify(payload));
        };
        Promise.resolve()
          .then(() => {
            requireJsonMediaType(req.headers['content-type']);
            return this.handle(String(req.headers['x-amz-target'] ?? ''), Buffer.concat(chunks).toString('utf8'));
          })
          .then(
            (payload) => reply(200, payload),
            (e: unknown) => {
              if (e instanceof AwsJsonError) return reply(e.status, e.body);
              // A fault of the emulator itself, as AWS reports its own (https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html).
              reply(500, {
                __type: `${SERVICE_NAMESPACE}#InternalFailure`,
                message: (e as Error).message,
              });
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
      case 'ListExecutions':
        return this.listExecutions(decodeMembers(body, SHAPES.ListExecutions));
      case 'ListStateMachines':
        return this.listStateMachines(decodeMembers(body, SHAPES.ListStateMachines));
      case 'DescribeStateMachine':
        return this.describeStateMachine(decodeMembers(body, SHAPES.DescribeStateMachine));
      case 'GetExecutionHistory':
        return this.getExecutionHistory(decodeMembers(body, SHAPES.GetExecutionHistory));
      case 'StopExecution':
        return this.stopExecution(decodeMembers(body, SHAPES.StopExecution));
    }
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html */
  startExecution(req: Input<'StartExecution'>): {
    executionArn: string;
    startDate: number;
  } {
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
        return {
          executionArn: existing.executionArn,
          startDate: seconds(existing.startDate),
        };
      throw error('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
    }
    const base = `${this.spec.arn.replace(':stateMachine:', this.spec.type === 'EXPRESS' ? ':express:' : ':execution:')}:${name}`;
    const record: ExecutionRecord = {
      executionArn: this.spec.type === 'EXPRESS' ? `${base}:${randomUUID()}` : base,
      stateMachineArn: this.spec.arn,
      name,
      seq: this.nextSeq++,
      status: 'RUNNING',
      startDate: Date.now(),
      input,
    };
    if (this.spec.type === 'STANDARD') this.executions.set(name, record);
    this.run(record);
    return {
      executionArn: record.executionArn,
      startDate: seconds(record.startDate),
    };
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
    if (record.output !== undefined)
      Object.assign(out, {
        output: record.output,
        outputDetails: { included: true },
      });
    if (record.error !== undefined) out.error = record.error;
    if (record.cause !== undefined) out.cause = record.cause;
    return out;
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html: the most recent first. */
  listExecutions(req: Input<'ListExecutions'>): {
    executions: object[];
    nextToken?: string;
  } {
    if (req.mapRunArn !== undefined) {
      if (req.stateMachineArn !== undefined)
        throw error('ValidationException', 'Provide either a stateMachineArn or a mapRunArn, not both'); // approximated wording
      requireArn(req.mapRunArn, ['mapRun']);
      throw error('ResourceNotFound', `Resource not found: '${req.mapRunArn}'`); // the order workflow has no Map Run
    }
    if (req.stateMachineArn === undefined) throw error('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
    requireArn(req.stateMachineArn, ['stateMachine']);
    this.requireStateMachine(req.stateMachineArn);
    if (this.spec.type === 'EXPRESS')
      throw error('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine');
    if (req.statusFilter === 'PENDING_REDRIVE')
      throw error('ValidationException', 'A PENDING_REDRIVE statusFilter needs a mapRunArn, not a stateMachineArn'); // approximated wording
    const listed = [...this.executions.values()]
      .filter((e) => (req.statusFilter === undefined || e.status === req.statusFilter) && req.redriveFilter !== 'REDRIVEN')
      .sort((a, b) => b.startDate - a.startDate || b.seq - a.seq);
    const { page, nextToken } = paginate(listed, (e) => e.executionArn, req.maxResults, req.nextToken);
    return {
      executions: page.map((e) => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: seconds(e.startDate),
        ...(e.stopDate !== undefined ? { stopDate: seconds(e.stopDate) } : {}),
        redriveCount: 0,
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListStateMachines.html */
  listStateMachines(req: Input<'ListStateMachines'>): {
    stateMachines: object[];
    nextToken?: string;
  } {
    const { arn, name, type, creationDate } = this.spec;
    const { page, nextToken } = paginate(
      [
        {
          stateMachineArn: arn,
          name,
          type,
          creationDate: seconds(creationDate),
        },
      ],
      (s) => s.stateMachineArn,
      req.maxResults,
      req.nextToken,
    );
    return { stateMachines: page, ...(nextToken ? { nextToken } : {}) };
  }

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html */
  describeStateMachine(req: Input<'DescribeStateMachine'>): Record<string, unknown> {
    requireArn(req.stateMachineArn, ['stateMachine']);
    this.requireStateMachine(req.stateMachineArn);
    const { arn, name, type, definition, roleArn, creationDate, loggingConfiguration, tracingConfiguration } = this.spec;
    return {
      stateMachineArn: arn,
      name,
      status: 'ACTIVE',
      definition,
      roleArn,
      type,
      creationDate: seconds(creationDate),
      loggingConfiguration: loggingConfiguration ?? {
        level: 'OFF',
        includeExecutionData: false,
      },
      tracingConfiguration: tracingConfiguration ?? { enabled: false },
    };
  }

  /**
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html: the events
   * oldest first (newest first with `reverseOrder`), in pages of `maxResults` (0 means 100); with
   * `includeExecutionData` false (it defaults to true), the events' inputs, outputs and parameters are left out.
   */
  async getExecutionHistory(req: Input<'GetExecutionHistory'>): Promise<{ events: object[]; nextToken?: string }> {
    const record = this.requireExecution(req.executionArn);
    const events = [...(await this.runner.history(record.executionArn))];
    if (req.reverseOrder) events.reverse();
    const { page, nextToken } = paginate(events, (e) => String(e.id), req.maxResults, req.nextToken);
    const withData = req.includeExecutionData ?? true;
    return {
      events: page.map((e) => ({ ...(withData ? e : withoutData(e)), timestamp: seconds(e.timestamp) })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  /**
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html: a running
   * execution is ABORTED at once, with the error and cause given (its history ends with ExecutionAborted,
   * API_ExecutionAbortedEventDetails.html). An execution that has already ended is left as it is and its
   * stop date returned: the API reference is silent on this case; on AWS the call succeeds and the
   * execution keeps its status (reported in awslabs/visual-asset-management-system#344), and LocalStack's
   * `Environment.set_stop` likewise stops only a running program.
   */
  async stopExecution(req: Input<'StopExecution'>): Promise<{ stopDate: number }> {
    const record = this.requireExecution(req.executionArn);
    if (record.status === 'RUNNING') {
      const reason = { ...(req.error !== undefined ? { error: req.error } : {}), ...(req.cause !== undefined ? { cause: req.cause } : {}) };
      // The runner decides: the execution may have ended there while its outcome was on its way here.
      if ((await this.runner.stop(record.executionArn, reason)) && record.status === 'RUNNING') {
        Object.assign(record, { status: 'ABORTED', stopDate: Date.now() }, reason);
      }
    }
    return { stopDate: seconds(record.stopDate ?? Date.now()) };
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
    // An execution StopExecution has ended keeps its ABORTED status: the runner's late outcome is dropped.
    const end = (outcome: ExecutionOutcome) => {
      if (record.status === 'RUNNING') Object.assign(record, outcome, { stopDate: Date.now() });
    };
    const request = { executionArn: record.executionArn, name: record.name, input: record.input };
    const first = this.runner.run(request);
    first.then(
      end,
      // The interpreter itself failed (not the execution): reported as Step Functions reports its own faults.
      (e: Error) => end({ status: 'FAILED', error: 'States.Runtime', cause: e.message }),
    );
    this.runAgainMaybe(request, first);
  }

  /**
   * `--duplicate-executions`: asynchronous EXPRESS workflows run at least once, and starting two with one name
   * runs both ("Execution guarantees", https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html;
   * https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html), while STANDARD runs exactly
   * once. So a share of EXPRESS executions run a second time, the same execution (ARN, name, input): every other
   * one at once, beside the first, the others once the first has ended. The second's outcome goes nowhere (EXPRESS
   * keeps no record to put it in).
   */
  private runAgainMaybe(request: ExecutionRequest, first: Promise<ExecutionOutcome>): void {
    const rate = this.chaos?.duplicateExecutions ?? 0;
    if (this.spec.type !== 'EXPRESS' || rate <= 0 || !((this.chaos?.random ?? Math.random)() < rate)) return;
    const atOnce = this.duplicated++ % 2 === 0;
    const again = () => {
      this.chaos!.log(
        `  Step Functions: --duplicate-executions: execution ${request.name} runs a second time (${atOnce ? 'at once' : 'after the first ended'})`,
      );
      this.runner.run(request).catch(() => undefined);
    };
    if (atOnce) again();
    else void first.catch(() => undefined).then(again);
  }

  async stop(): Promise<void> {
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }
}
