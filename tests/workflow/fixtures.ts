import { FUNCTION_TIMEOUTS } from '../../components/orchestrator';
import { type OrderWorkflowResources, lambdaFn } from '../../components/workflow';
import type { StoreOrderHandler } from '../../runtime/storeOrder';
import type { ValidateOrderHandler } from '../../runtime/validateOrder';

const region = 'eu-west-1';
const account = '123456789012';

/** Plain-string stand-ins for the ARNs the Orchestrator passes as Outputs, typed by the same handlers. */
export const fakeResources: OrderWorkflowResources = {
  validator: lambdaFn<ValidateOrderHandler>(`arn:aws:lambda:${region}:${account}:function:dofs-validator`, FUNCTION_TIMEOUTS.validator),
  storeOrder: lambdaFn<StoreOrderHandler>(`arn:aws:lambda:${region}:${account}:function:dofs-store-order`, FUNCTION_TIMEOUTS.storeOrder),
  queue: { url: `https://sqs.${region}.amazonaws.com/${account}/dofs-orders`, arn: `arn:aws:sqs:${region}:${account}:dofs-orders` },
  ordersTable: { name: 'dofs-orders', arn: `arn:aws:dynamodb:${region}:${account}:table/dofs-orders` },
  failedOrdersTable: { name: 'dofs-failed-orders', arn: `arn:aws:dynamodb:${region}:${account}:table/dofs-failed-orders` },
};
