import * as pulumi from '@pulumi/pulumi';
import { SCOPE_TAG, scopeOf } from './scope';

/** The tags every taggable DOFS resource carries: what cost reports, `aws:ResourceTag` conditions and operators filter on. */
export const stackTags = (stack: string): Record<string, string> => ({
  Project: 'dofs',
  Stack: stack,
  ManagedBy: 'pulumi',
  [SCOPE_TAG]: scopeOf(stack),
});

/**
 * The resource types of the program whose arguments take `tags` (their `*Args` in @pulumi/aws). A test
 * derives the same set from the provider's type declarations, so a new taggable type fails it until it is
 * listed here; a type that takes no `tags` must not get them (the provider refuses an unknown input).
 */
export const TAGGABLE_TYPES: ReadonlySet<string> = new Set([
  'aws:apigateway/restApi:RestApi',
  'aws:apigateway/stage:Stage',
  'aws:cloudwatch/logGroup:LogGroup',
  'aws:cloudwatch/metricAlarm:MetricAlarm',
  'aws:dynamodb/table:Table',
  'aws:iam/role:Role',
  'aws:kms/key:Key',
  'aws:lambda/eventSourceMapping:EventSourceMapping',
  'aws:lambda/function:Function',
  'aws:sfn/stateMachine:StateMachine',
  'aws:sns/topic:Topic',
  'aws:sqs/queue:Queue',
]);

/**
 * Adds `tags` to every taggable resource under the component it is given to (its own tags win). An SDK-side
 * transformation, applied as each resource is declared, so that the mocks record the tags `pulumi up` sends.
 */
export const tagEverything =
  (tags: Record<string, string>): pulumi.ResourceTransformation =>
  (args) =>
    TAGGABLE_TYPES.has(args.type)
      ? {
          props: {
            ...args.props,
            tags: pulumi.output(args.props.tags as pulumi.Input<Record<string, string>> | undefined).apply((own) => ({ ...tags, ...own })),
          },
          opts: args.opts,
        }
      : undefined;
