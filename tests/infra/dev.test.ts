import { describeStack } from './stack';

describeStack('dev', (s) => {
  it('keeps dev cheap and chatty: no PITR, no deletion protection, DEBUG logs, 7-day retention', () => {
    for (const t of s().ofType('aws:dynamodb/table:Table')) {
      expect(t.inputs.pointInTimeRecovery).toEqual({ enabled: false });
      expect(t.inputs.deletionProtectionEnabled).toBe(false);
    }
    expect(s().config).toMatchObject({ logLevel: 'DEBUG', logRetentionDays: 7, apiThrottleRateLimit: 20 });
  });
});
