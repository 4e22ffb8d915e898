import { describeStack } from './stack';

describeStack('prod', (s) => {
  it('protects data: PITR and deletion protection on both tables, a year of logs, WARN level', () => {
    for (const t of s().ofType('aws:dynamodb/table:Table')) {
      expect(t.inputs.pointInTimeRecovery).toEqual({ enabled: true });
      expect(t.inputs.deletionProtectionEnabled).toBe(true);
    }
    expect(s().config).toMatchObject({ logLevel: 'WARN', logRetentionDays: 365, apiThrottleRateLimit: 200 });
  });

  it("alarms on DLQ depth and on each function's errors; no topic without alarmEmail", () => {
    const alarms = s().ofType('aws:cloudwatch/metricAlarm:MetricAlarm');
    expect(alarms.map((a) => a.name).sort()).toEqual(
      ['dlq-not-empty', 'api-handler-errors', 'validator-errors', 'store-order-errors', 'fulfillment-errors', 'dlq-handler-errors']
        .map((n) => `dofs-${n}`)
        .sort(),
    );
    expect(s().ofType('aws:sns/topic:Topic')).toEqual([]);
  });
});
