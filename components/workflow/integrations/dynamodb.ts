import type * as pulumi from '@pulumi/pulumi';
import type { AslObject, PolicyStatement } from '../asl';
import { TRANSIENT_DYNAMODB_ERRORS } from '../errors';
import type { RefFn, ResultPath, Template } from '../paths';
import type { StateOwner } from '../state';
import { type TaskProps, Task } from '../task';

/** A DynamoDB table as the workflow sees it. */
export interface TableRef {
  readonly name: pulumi.Input<string>;
  readonly arn: pulumi.Input<string>;
}

/** A DynamoDB attribute value in a template. Numbers travel as strings (`jsonToString`). */
export type AttributeTemplate =
  { readonly S: Template<string> } | { readonly N: Template<string> } | { readonly BOOL: Template<boolean> } | { readonly NULL: true };

/** Typed attribute-value helpers for DynamoDB templates. */
export const ddb = {
  s: (v: Template<string>): AttributeTemplate => ({ S: v }),
  n: (v: Template<string>): AttributeTemplate => ({ N: v }),
  bool: (v: Template<boolean>): AttributeTemplate => ({ BOOL: v }),
};

export interface DynamoItemProps<I, P extends ResultPath> extends TaskProps<P> {
  readonly table: TableRef;
  readonly conditionExpression?: string;
  readonly expressionAttributeNames?: Readonly<Record<string, string>>;
  readonly expressionAttributeValues?: ($: RefFn<I>) => Readonly<Record<string, AttributeTemplate>>;
}

/** `arn:aws:states:::dynamodb:putItem` or `:updateItem`. */
export class DynamoTask<I, O> extends Task<I, O> {
  constructor(
    owner: StateOwner,
    name: string,
    private readonly action: 'putItem' | 'updateItem',
    private readonly table: TableRef,
    private readonly parameters: AslObject,
    props: TaskProps<ResultPath>,
  ) {
    super(owner, name, props, TRANSIENT_DYNAMODB_ERRORS);
  }
  protected resource(): AslObject {
    return {
      Resource: `arn:aws:states:::dynamodb:${this.action}`,
      Parameters: { TableName: this.table.name, ...this.parameters },
    };
  }
  policyStatements(): PolicyStatement[] {
    const action = this.action === 'putItem' ? 'dynamodb:PutItem' : 'dynamodb:UpdateItem';
    return [{ Effect: 'Allow', Action: [action], Resource: [this.table.arn] }];
  }
}
