import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';

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
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A Step Functions endpoint that speaks the real AWS JSON protocol for StartExecution and
 * DescribeExecution, and keeps the executions' records; `runner` carries each execution out. STANDARD
 * deduplicates executions by name as AWS does (same name and input: the same execution; another input:
 * ExecutionAlreadyExists); EXPRESS starts every request and has no DescribeExecution.
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
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const reply = (status: number, payload: unknown) => {
          res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify(payload));
        };
        try {
          const input = (body ? JSON.parse(body) : {}) as Record<string, string | undefined>;
          if (target === 'AWSStepFunctions.StartExecution') return reply(200, this.startExecution(input));
          if (target === 'AWSStepFunctions.DescribeExecution') return reply(200, this.describeExecution(input));
          throw new ApiError(
            'UnknownOperationException',
            `${target || 'this operation'} is not emulated locally; StartExecution and DescribeExecution are`,
          );
        } catch (e) {
          if (e instanceof ApiError) return reply(400, { __type: e.type, message: e.message });
          return reply(500, { __type: 'InternalError', message: (e as Error).message });
        }
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  startExecution(req: { stateMachineArn?: string; name?: string; input?: string }): { executionArn: string; startDate: number } {
    if (req.stateMachineArn !== this.spec.arn)
      throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${req.stateMachineArn}'`);
    const name = req.name ?? randomUUID();
    const input = req.input ?? '{}';
    const existing = this.executions.get(name);
    if (existing && this.spec.type === 'STANDARD') {
      if (existing.input === input && existing.status === 'RUNNING')
        return { executionArn: existing.executionArn, startDate: existing.startDate / 1000 };
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
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
    void this.run(record); // settles the record; never rejects
    return { executionArn: record.executionArn, startDate: record.startDate / 1000 };
  }

  describeExecution(req: { executionArn?: string }): Record<string, unknown> {
    if (this.spec.type === 'EXPRESS') {
      throw new ApiError('InvalidArn', 'DescribeExecution is not supported for EXPRESS state machines');
    }
    const record = [...this.executions.values()].find((e) => e.executionArn === req.executionArn);
    if (!record) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${req.executionArn}'`);
    const out: Record<string, unknown> = {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate / 1000,
      input: record.input,
    };
    if (record.stopDate !== undefined) out.stopDate = record.stopDate / 1000;
    if (record.output !== undefined) out.output = record.output;
    if (record.error !== undefined) out.error = record.error;
    if (record.cause !== undefined) out.cause = record.cause;
    return out;
  }

  private async run(record: ExecutionRecord): Promise<void> {
    try {
      const outcome = await this.runner({ executionArn: record.executionArn, name: record.name, input: record.input });
      Object.assign(record, outcome);
    } catch (e) {
      // The interpreter itself failed (not the execution): reported as Step Functions reports its own faults.
      Object.assign(record, { status: 'FAILED', error: 'States.Runtime', cause: (e as Error).message });
    } finally {
      record.stopDate = Date.now();
    }
  }

  async stop(): Promise<void> {
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }
}
