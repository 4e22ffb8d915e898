/**
 * Pulumi's own AWSGuard rules (@pulumi/awsguard 0.3.1, the last release) on the program's resources for
 * dev, staging and prod: every rule of every module runs on every resource, as the policy engine would
 * call it; a rule for another resource type declares itself not applicable. Of its rules, five apply to
 * DOFS's resource types. Two pass; the three API Gateway findings are decisions, listed here and in the
 * README, and any other finding fails the test.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import * as apiGateway from '@pulumi/awsguard/apiGateway';
import * as compute from '@pulumi/awsguard/compute';
import * as database from '@pulumi/awsguard/database';
import * as elasticsearch from '@pulumi/awsguard/elasticsearch';
import * as network from '@pulumi/awsguard/network';
import * as security from '@pulumi/awsguard/security';
import * as storage from '@pulumi/awsguard/storage';
import type { RuleResource } from '../../policy/rules';
import { resourcesOf } from '../support/programProcess';

const POLICIES = [apiGateway, compute, database, elasticsearch, network, security, storage].flatMap((m) =>
  Object.values(m as Record<string, unknown>).filter(
    (p): p is ResourceValidationPolicy => typeof (p as ResourceValidationPolicy)?.validateResource === 'function',
  ),
);

/** The defaults of a policy's config schema, as the engine passes them when the pack sets none. */
const defaultsOf = (p: ResourceValidationPolicy) =>
  Object.fromEntries(Object.entries(p.configSchema?.properties ?? {}).map(([k, v]) => [k, (v as { default?: unknown }).default]));

class NotApplicable extends Error {}

/** Every AWSGuard rule on every resource: `rule → resource` for each violation, and the rules that applied. */
const runAwsGuard = async (resources: readonly RuleResource[]) => {
  const findings: string[] = [];
  const applied = new Set<string>();
  for (const p of POLICIES) {
    for (const r of resources) {
      const args = {
        type: r.type,
        props: r.props,
        urn: r.urn,
        name: r.name,
        opts: {},
        stackTags: new Map<string, string>(),
        isType: (cls: { __pulumiType?: string }) => cls.__pulumiType === r.type,
        asType: (cls: { __pulumiType?: string }) => (cls.__pulumiType === r.type ? r.props : undefined),
        getConfig: () => defaultsOf(p),
        notApplicable: () => {
          throw new NotApplicable();
        },
      };
      try {
        await (p.validateResource as (a: any, report: (m: string) => void) => Promise<void> | void)(args, (m) =>
          findings.push(`${p.name} → ${r.name}: ${m}`),
        );
        applied.add(p.name);
      } catch (e) {
        if (!(e instanceof NotApplicable)) throw e;
      }
    }
  }
  return { findings, applied: [...applied].sort() };
};

/** The findings DOFS keeps, and why (README, "Policy pack"). */
const DECIDED = [
  // A REGIONAL endpoint: clients are systems in the stack's region; EDGE would add CloudFront in front of every call.
  /^apigateway-endpoint-type → dofs-api: /,
  // No cache: GET answers an order's current status, which a cache would serve stale; POST must never be cached.
  /^apigateway-stage-cached → dofs-stage: /,
  /^apigateway-method-cached-and-encrypted → dofs-throttling: /,
];

describe.each(['dev', 'staging', 'prod'])('AWSGuard on the %s stack', (stack) => {
  it('applies the rules for its resource types, and finds nothing but the three decided API Gateway findings', async () => {
    const { findings, applied } = await runAwsGuard(await resourcesOf(stack));
    expect(applied).toEqual(
      [
        'apigateway-endpoint-type',
        'apigateway-method-cached-and-encrypted',
        'apigateway-stage-cached',
        'dynamodb-table-encryption-enabled',
        // Every stack has the alarm topic's key (its topic exists on every stack, e-mail or not).
        'cmk-backing-key-rotation-enabled',
      ].sort(),
    );
    expect(findings.filter((f) => !DECIDED.some((d) => d.test(f)))).toEqual([]);
    for (const d of DECIDED) expect(findings.some((f) => d.test(f))).toBe(true);
  });
});

it('AWSGuard can fail: an unencrypted table and a key without rotation are found', async () => {
  const resources = [
    { type: 'aws:dynamodb/table:Table', name: 't', urn: 'urn:t', props: { serverSideEncryption: { enabled: false } } },
    { type: 'aws:kms/key:Key', name: 'k', urn: 'urn:k', props: { enableKeyRotation: false } },
  ];
  expect((await runAwsGuard(resources)).findings).toEqual([
    'dynamodb-table-encryption-enabled → t: DynamoDB must have server side encryption enabled.',
    'cmk-backing-key-rotation-enabled → k: CMK does not have the key rotation setting enabled',
  ]);
});
