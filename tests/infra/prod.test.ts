import { describeStack } from './stack';

describeStack('prod', (s) => {
  it('protects data: PITR and deletion protection on both tables, a year of logs, WARN level', () => {
    for (const t of s().ofType('aws:dynamodb/table:Table')) {
      expect(t.inputs.pointInTimeRecovery).toEqual({ enabled: true });
      expect(t.inputs.deletionProtectionEnabled).toBe(true);
    }
    expect(s().config).toMatchObject({ logLevel: 'WARN', logRetentionDays: 365, apiThrottleRateLimit: 200 });
  });
});
