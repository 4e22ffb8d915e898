import { describeStack } from './stack';

describeStack('prod', (s) => {
  it('protects data: PITR and deletion protection on both tables, a year of logs, WARN level', () => {
    for (const t of s().ofType('aws:dynamodb/table:Table')) {
      expect(t.inputs.pointInTimeRecovery).toEqual({ enabled: true });
      expect(t.inputs.deletionProtectionEnabled).toBe(true);
    }
    expect(s().config).toMatchObject({ logLevel: 'WARN', logRetentionDays: 365, apiThrottleRateLimit: 200 });
  });

  it('alarms to a topic with an e-mail subscription (prod refuses to deploy without one)', () => {
    expect(
      s()
        .ofType('aws:sns/topicSubscription:TopicSubscription')
        .map((t) => t.inputs.protocol),
    ).toEqual(['email']);
  });
});
