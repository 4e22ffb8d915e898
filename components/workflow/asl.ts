import type * as pulumi from '@pulumi/pulumi';

/** A JSON-like ASL fragment whose leaves may still be `pulumi.Input<string>` (ARNs, URLs, names). */
export type AslValue = pulumi.Input<string> | number | boolean | null | AslValue[] | { [key: string]: AslValue };
export type AslObject = { [key: string]: AslValue };

/** One IAM statement the state machine's role needs. */
export interface PolicyStatement {
  readonly Effect: 'Allow';
  readonly Action: string[];
  readonly Resource: pulumi.Input<string>[];
}
