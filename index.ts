/** Composition root: decode the stack config, create the components, export the outputs. */
import * as pulumi from '@pulumi/pulumi';
import { awsResourceBase, createDofs, loadConfig } from './program';

// On AWS every name starts with the stack's scope (dofs-dev-orders-1a2b3c4), which its deploy role is limited to.
const dofs = createDofs(loadConfig(), awsResourceBase(pulumi.getStack()));

export const apiUrl = dofs.apiUrl;
export const ordersTableName = dofs.ordersTableName;
export const failedOrdersTableName = dofs.failedOrdersTableName;
export const queueUrl = dofs.queueUrl;
export const dlqUrl = dofs.dlqUrl;
export const stateMachineArn = dofs.stateMachineArn;
export const operations = dofs.operations;
