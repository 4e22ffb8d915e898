import { describeStack } from './stack';

describeStack('staging', (s) => {
  it('subscribes alarmEmail to an encrypted topic that every alarm notifies', () => {
    const topic = s().ofType('aws:sns/topic:Topic');
    expect(topic).toHaveLength(1);
    // with a key of its own whose policy lets CloudWatch publish (alias/aws/sns cannot)
    const keys = s().ofType('aws:kms/key:Key');
    expect(keys).toHaveLength(1);
    expect(topic[0].inputs.kmsMasterKeyId).toMatch(/^arn:aws:kms:/);
    const policy = JSON.parse(keys[0].inputs.policy);
    expect(policy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
      }),
    );
    expect(keys[0].inputs.enableKeyRotation).toBe(true);
    expect(s().ofType('aws:sns/topicSubscription:TopicSubscription')[0].inputs).toMatchObject({
      protocol: 'email',
      endpoint: 'platform-oncall@example.com',
    });
    for (const a of s().ofType('aws:cloudwatch/metricAlarm:MetricAlarm'))
      expect(a.inputs.alarmActions).toEqual([expect.stringMatching(/^arn:aws:sns:/)]);
  });

  it('turns on point-in-time recovery but not deletion protection', () => {
    for (const t of s().ofType('aws:dynamodb/table:Table')) {
      expect(t.inputs.pointInTimeRecovery).toEqual({ enabled: true });
      expect(t.inputs.deletionProtectionEnabled).toBe(false);
    }
    expect(s().config).toMatchObject({ logLevel: 'INFO', logRetentionDays: 30 });
  });
});
