/**
 * The deployments program: delivery of the dofs stacks, kept apart from them (Pulumi advises against a
 * stack managing its own deployment settings). Bootstrap it once with a person's credentials; see the
 * README's "Delivery" section.
 */
import * as pulumi from '@pulumi/pulumi';
import { decodeDeploymentsConfig } from './config';
import { createDelivery } from './delivery';

const config = decodeDeploymentsConfig(pulumi.runtime.allConfig());
const delivery = createDelivery(config);

export const oidcProviderArns = delivery.oidcProviderArns;
export const deployRoleArns = delivery.deployRoleArns;
export const previewRoleArns = delivery.previewRoleArns;
export const boundaryArns = delivery.boundaryArns;
