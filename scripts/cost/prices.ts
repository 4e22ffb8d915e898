/**
 * Every price the cost model (`npm run cost`, scripts/cost.ts) uses: one place, each with its region, the day it
 * was looked up and where. Prices are list prices in USD for the DOFS stacks' region, eu-west-1 (Europe
 * (Ireland), `aws:region` in every Pulumi.<stack>.yaml), without any free tier: the free tiers are per account
 * and shared by every stack in it, so a stack's own cost is priced from the first request.
 *
 * The AWS pricing pages render their regional tables with JavaScript; where the stored copy read on the day below
 * had no Europe (Ireland) row, `note` says which figure was used and why. Check those against the AWS Pricing
 * Calculator before quoting a bill.
 */

/** A price per `unit`, for one region, with its provenance. */
export interface Price {
  readonly usd: number;
  readonly unit: string;
  readonly region: string;
  /** The day the price was read (YYYY-MM-DD). */
  readonly lookedUp: string;
  readonly source: string;
  readonly note?: string;
}

/** A tiered price: each tier's `usd` per `unit` applies to the quantity up to `upTo` (cumulative), the last to the rest. */
export interface TieredPrice extends Omit<Price, 'usd'> {
  readonly tiers: readonly { readonly upTo: number; readonly usd: number }[];
}

const REGION = 'eu-west-1';
const LOOKED_UP = '2026-12-04';

export const PRICES = {
  apiGatewayRestRequest: {
    unit: 'REST API request',
    tiers: [
      { upTo: 333e6, usd: 3.5e-6 },
      { upTo: 1e9, usd: 2.8e-6 },
      { upTo: 20e9, usd: 2.38e-6 },
      { upTo: Infinity, usd: 1.51e-6 },
    ],
    region: REGION,
    lookedUp: LOOKED_UP,
    source:
      'https://aws.amazon.com/api-gateway/pricing/ (tiers as listed in https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html)',
    note: "the stored pages list us-east-1's tiers ($3.50 per million for the first 333 million); Europe (Ireland) charges the same for REST APIs",
  },
  stepFunctionsStandardTransition: {
    usd: 0.025 / 1000,
    unit: 'state transition (STANDARD)',
    region: REGION,
    lookedUp: LOOKED_UP,
    source: 'https://aws.amazon.com/step-functions/pricing/ (state transitions pricing table, Europe (Ireland) $0.0250 per 1,000)',
  },
  stepFunctionsExpressRequest: {
    usd: 1.0e-6,
    unit: 'EXPRESS execution request',
    region: REGION,
    lookedUp: LOOKED_UP,
    source: 'https://aws.amazon.com/step-functions/pricing/ (Express pricing example: $1.00 per million requests)',
    note: "the stored page's Express example is us-east-1's; its regional Express table was not in the stored copy, Ireland's rates are taken as equal",
  },
  stepFunctionsExpressDuration: {
    unit: 'GB-hour of EXPRESS duration (64 MB chunks, 100 ms increments)',
    tiers: [
      { upTo: 1000, usd: 0.06 },
      { upTo: 5000, usd: 0.03 },
      { upTo: Infinity, usd: 0.01642 },
    ],
    region: REGION,
    lookedUp: LOOKED_UP,
    source:
      'https://aws.amazon.com/step-functions/pricing/ (Express pricing example: $0.06 per GB-hour for the first 1,000, $0.03 for the next 4,000, $0.01642 beyond)',
    note: "as stepFunctionsExpressRequest: the example is us-east-1's, taken as equal in Ireland",
  },
  lambdaRequest: {
    usd: 0.2e-6,
    unit: 'Lambda invocation',
    region: REGION,
    lookedUp: LOOKED_UP,
    source: 'https://aws.amazon.com/lambda/pricing/',
    note: 'the same $0.20 per million in us-east-1 and eu-west-1',
  },
  lambdaArmDuration: {
    unit: 'GB-second, arm64',
    tiers: [
      { upTo: 7.5e9, usd: 0.0000133334 },
      { upTo: 18.75e9, usd: 0.0000120001 },
      { upTo: Infinity, usd: 0.0000106667 },
    ],
    region: REGION,
    lookedUp: LOOKED_UP,
    source: 'https://aws.amazon.com/lambda/pricing/ (tiers as quoted in https://cloudchipr.com/blog/aws-lambda-pricing)',
    note: "the stored pages quote us-east-1's tiers; eu-west-1 charges the same per GB-second",
  },
  lambdaX86Duration: {
    unit: 'GB-second, x86_64',
    tiers: [
      { upTo: 6e9, usd: 0.0000166667 },
      { upTo: 15e9, usd: 0.000015 },
      { upTo: Infinity, usd: 0.0000133334 },
    ],
    region: REGION,
    lookedUp: LOOKED_UP,
    source: 'https://aws.amazon.com/lambda/pricing/ (tiers as quoted in https://cloudchipr.com/blog/aws-lambda-pricing)',
    note: 'as lambdaArmDuration',
  },
  sqsStandardRequest: {
    usd: 0.4e-6,
    unit: 'SQS request (each 64 KiB chunk of a payload is one)',
    region: REGION,
    lookedUp: LOOKED_UP,
    source:
      'https://aws.amazon.com/sqs/pricing/ (as quoted in https://cloudburn.io/blog/amazon-sqs-pricing: $0.40 per million for the first 100 billion)',
  },
  dynamoDbWriteRequestUnit: {
    usd: 1.4135e-6 / 2,
    unit: 'on-demand write request unit (1 KB)',
    region: REGION,
    lookedUp: LOOKED_UP,
    source:
      'https://aws.amazon.com/dynamodb/pricing/on-demand/ (Ireland before 1 Nov 2024: $1.4135 per million, https://engineering-ed7.pages.dev/docs/architecture/aws/services/dynamodb; halved from 1 Nov 2024, https://airbyte.com/data-engineering-resources/dynamodb-pricing)',
    note: 'derived: the stored copies give the pre-November-2024 Ireland price and the 50% on-demand cut that applied in every region',
  },
  dynamoDbReadRequestUnit: {
    usd: 0.283e-6 / 2,
    unit: 'on-demand read request unit (4 KB strongly consistent, or 2 × 4 KB eventually consistent)',
    region: REGION,
    lookedUp: LOOKED_UP,
    source:
      'https://aws.amazon.com/dynamodb/pricing/on-demand/ (Ireland before 1 Nov 2024: $0.283 per million, https://engineering-ed7.pages.dev/docs/architecture/aws/services/dynamodb; halved from 1 Nov 2024)',
    note: 'derived, as dynamoDbWriteRequestUnit',
  },
  dynamoDbStorage: {
    usd: 0.283,
    unit: 'GB-month of table storage (Standard table class)',
    region: REGION,
    lookedUp: LOOKED_UP,
    source:
      'https://aws.amazon.com/dynamodb/pricing/on-demand/ (Ireland $0.283 per GB-month, https://engineering-ed7.pages.dev/docs/architecture/aws/services/dynamodb)',
  },
  cloudWatchLogsIngestion: {
    usd: 0.57,
    unit: 'GB of logs ingested (Standard class)',
    region: REGION,
    lookedUp: LOOKED_UP,
    source: 'https://aws.amazon.com/cloudwatch/pricing/ (Logs, Collect)',
    note: "the stored copy shows us-east-1's $0.50 per GB (https://coralogix.com/blog/is-cloudwatch-really-cost-efficient); Europe (Ireland) is $0.57 per GB in AWS's regional table",
  },
  cloudWatchCustomMetric: {
    usd: 0.3,
    unit: 'custom metric-month (first 10,000)',
    region: REGION,
    lookedUp: LOOKED_UP,
    source: 'https://aws.amazon.com/cloudwatch/pricing/ (Metrics; tiers as quoted in https://github.com/nishinoshake/aws-rough/issues/37)',
    note: 'EMF metrics bill as custom metrics, one per unique namespace + name + dimensions emitted in the month',
  },
  cloudWatchAlarm: {
    usd: 0.1,
    unit: 'standard-resolution alarm-month',
    region: REGION,
    lookedUp: LOOKED_UP,
    source: 'https://aws.amazon.com/cloudwatch/pricing/ (Alarms)',
  },
  cloudWatchDashboard: {
    usd: 3.0,
    unit: 'dashboard-month',
    region: REGION,
    lookedUp: LOOKED_UP,
    source:
      'https://aws.amazon.com/cloudwatch/pricing/ (Dashboards; $3 per dashboard beyond the free 3 per account, https://coralogix.com/blog/is-cloudwatch-really-cost-efficient)',
    note: 'charged as if the account had used its 3 free dashboards elsewhere',
  },
  xRayTraceRecorded: {
    usd: 5.0e-6,
    unit: 'X-Ray trace recorded',
    region: REGION,
    lookedUp: LOOKED_UP,
    source: 'https://aws.amazon.com/xray/pricing/ ($5.00 per million traces recorded; https://aws.amazon.com/de/xray/pricing/)',
  },
  kmsKey: {
    usd: 1.0,
    unit: 'customer managed KMS key-month',
    region: REGION,
    lookedUp: LOOKED_UP,
    source: 'https://aws.amazon.com/kms/pricing/',
    note: 'each automatic rotation adds $1 a month to a key (the alarm key rotates yearly): $1 in its first year',
  },
  kmsRequest: {
    usd: 0.03 / 10_000,
    unit: 'KMS request (symmetric)',
    region: REGION,
    lookedUp: LOOKED_UP,
    source: 'https://aws.amazon.com/kms/pricing/ ($0.03 per 10,000 requests; https://www.wring.co/blog/aws-kms-pricing-guide)',
  },
  schedulerInvocation: {
    usd: 1.0e-6,
    unit: 'EventBridge Scheduler invocation',
    region: REGION,
    lookedUp: LOOKED_UP,
    source: 'https://aws.amazon.com/eventbridge/pricing/ (Scheduler: $1.00 per million after 14 million free a month)',
    note: 'charged without the 14 million free invocations, like every other price here',
  },
} as const satisfies Record<string, Price | TieredPrice>;

export type Prices = { readonly [K in keyof typeof PRICES]: Price | TieredPrice };

/** The cost of `quantity` units at a flat or tiered price. */
export const priceOf = (price: Price | TieredPrice, quantity: number): number => {
  if ('usd' in price) return price.usd * quantity;
  let cost = 0;
  let from = 0;
  for (const tier of price.tiers) {
    const inTier = Math.max(0, Math.min(quantity, tier.upTo) - from);
    cost += inTier * tier.usd;
    from = tier.upTo;
    if (quantity <= from) break;
  }
  return cost;
};
