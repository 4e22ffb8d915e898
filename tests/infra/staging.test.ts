import { describeStack } from './stack';

describeStack('staging', (s) => {
  it('turns on point-in-time recovery but not deletion protection', () => {
    for (const t of s().ofType('aws:dynamodb/table:Table')) {
      expect(t.inputs.pointInTimeRecovery).toEqual({ enabled: true });
      expect(t.inputs.deletionProtectionEnabled).toBe(false);
    }
    expect(s().config).toMatchObject({ logLevel: 'INFO', logRetentionDays: 30 });
  });
});
