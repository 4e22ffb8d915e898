/** Composition root: decode the stack config, create the components, export the outputs. */
import { createDofs, loadConfig } from './program';

const dofs = createDofs(loadConfig());

export const apiUrl = dofs.apiUrl;
export const ordersTableName = dofs.ordersTableName;
export const failedOrdersTableName = dofs.failedOrdersTableName;
export const queueUrl = dofs.queueUrl;
export const dlqUrl = dofs.dlqUrl;
export const stateMachineArn = dofs.stateMachineArn;
