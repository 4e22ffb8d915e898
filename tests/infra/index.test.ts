import * as pulumi from '@pulumi/pulumi';

describe('index.ts, the composition root', () => {
  it('stops on a bad config value before it declares any resource, naming the key', async () => {
    const declared: string[] = [];
    await pulumi.runtime.setMocks(
      { newResource: (a) => (declared.push(a.type), { id: 'id', state: a.inputs }), call: (a) => a.inputs },
      'dofs',
      'dev',
      false,
    );
    pulumi.runtime.setAllConfig({ 'dofs:maxReceiveCount': '0', 'dofs:workflowType': 'SLOW' });
    let error: Error | undefined;
    try {
      await import('../../index');
    } catch (e) {
      error = e as Error;
    }
    expect(error?.name).toBe('StackConfigError');
    expect(error?.message).toContain('dofs:maxReceiveCount = 0 is not allowed: expected a whole number from 1 to 1000');
    expect(error?.message).toContain("dofs:workflowType = 'SLOW' is not allowed");
    await new Promise((r) => setImmediate(r));
    expect(declared).toEqual([]);
  });
});
