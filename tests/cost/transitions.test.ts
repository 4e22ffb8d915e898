/**
 * The cost model's per-order workflow counts (scripts/cost/perOrder.ts) against the state machine itself: the
 * rendered order workflow runs in the ASL interpreter for one order of each outcome, and every state it enters
 * (retries included) is a STANDARD state transition. Task handlers are chosen by each Task's resource, not by state
 * name, so that a renamed or folded state is still run: only a new kind of task needs a handler here.
 */
import { type OrderWorkflowResources, orderWorkflow } from '../../components/workflow';
import { ExecutionError, StateMachine } from '../../local/interpreter';
import type { StorageResult, WorkflowInput } from '../../runtime/codecs';
import { validateOrder } from '../../runtime/validateOrder';
import { ORDER_COUNTS, type Outcome } from '../../scripts/cost/perOrder';
import { fakeResources } from '../workflow/fixtures';

const definition = orderWorkflow(fakeResources).render().definition as { States: Record<string, { Type: string; Resource?: string }> };

const valid: WorkflowInput = {
  orderId: 'order-1',
  customerId: 'CUST-00042',
  items: [{ productId: 'SKU-1001', quantity: 2, unitPrice: 19.99 }],
  acceptedAt: '2026-11-25T00:00:00.000Z',
};
const rejected: WorkflowInput = { ...valid, customerId: 'nobody' };
const stored: StorageResult = { outcome: 'STORED', status: 'PENDING', totalQuantity: 2 };

const arnOf = (r: OrderWorkflowResources['validator'] | OrderWorkflowResources['storeOrder']) => r.arn as string;

/** What each Task does, by its resource; what it ran is recorded as a function noun or a service integration. */
const taskKind = (resource: string): { ran: string; result: (input: WorkflowInput) => unknown } => {
  if (resource === arnOf(fakeResources.validator)) return { ran: 'validator', result: (i) => validateOrder(i) };
  if (resource === arnOf(fakeResources.storeOrder)) return { ran: 'store-order', result: () => stored };
  if (resource === 'arn:aws:states:::sqs:sendMessage')
    return { ran: 'service', result: () => ({ MessageId: 'm-1', MD5OfMessageBody: 'md5' }) };
  if (resource.startsWith('arn:aws:states:::dynamodb:')) return { ran: 'service', result: () => ({}) };
  throw new Error(`no handler for a task of resource ${resource}: add one to tests/cost/transitions.test.ts`);
};

/** Runs one execution; returns the states it entered (retries counted as entries) and the tasks it ran. */
const run = async (input: WorkflowInput) => {
  const ran: string[] = [];
  const handlers = Object.fromEntries(
    Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name, s]) => {
        const kind = taskKind(s.Resource ?? '');
        return [
          name,
          async (i: WorkflowInput) => {
            ran.push(kind.ran);
            return kind.result(i);
          },
        ];
      }),
  );
  const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
  const execution = machine.run(input, {
    overrides: { taskResourceLocalHandlers: handlers as never },
    context: { State: { EnteredTime: '2026-11-25T00:00:00.000Z' } },
  });
  let transitions = 0;
  const events = (async () => {
    for await (const e of execution.eventLogs) if (e.type === 'StateEntered' || e.type === 'StateRetried') transitions++;
  })();
  try {
    await execution.result;
  } catch (e) {
    if (!(e instanceof ExecutionError)) throw e;
  }
  await events;
  return { transitions, functions: ran.filter((r) => r !== 'service'), serviceTasks: ran.filter((r) => r === 'service').length };
};

describe('per-order workflow counts of the cost model', () => {
  const cases: [Outcome, WorkflowInput][] = [
    ['REJECTED', rejected],
    ['FULFILLED', valid],
    ['OUT_OF_STOCK', valid],
    ['DEAD_LETTERED', valid],
  ];
  it.each(cases)('%s: the transitions, functions and service tasks are those of the rendered workflow', async (outcome, input) => {
    // Given the order workflow as rendered for deployment
    // When an order of this outcome runs through it (the workflow's path is the same for every valid order)
    const r = await run(input);
    // Then the model counts each state it entered, and the tasks it ran
    const counts = ORDER_COUNTS[outcome];
    expect({ outcome, transitions: r.transitions }).toEqual({ outcome, transitions: counts.stateTransitions });
    expect(r.functions).toEqual(counts.workflowFunctions);
    expect(r.serviceTasks).toBe(counts.workflowServiceTasks);
  });
});
