/**
 * Local time: one compression factor for every wait the state machine declares, and the clock that local
 * function timeouts run on. Pure: a fake clock, no timers.
 */
import { TIME_COMPRESSION } from '../../local/common';
import { RunningClock } from '../../local/runningClock';
import { compressDefinition, visibilityRefusal } from '../../local/waits';

describe('RunningClock', () => {
  const fakeClock = () => {
    let now = 0;
    const clock = new RunningClock(10, undefined, () => now);
    return { clock, advance: (ms: number) => ((now += ms), clock.tick()) };
  };

  it('keeps wall time while the thread runs, tick by tick', () => {
    // Given an alarm at 100 ms
    const { clock, advance } = fakeClock();
    let fired = 0;
    clock.after(100, () => fired++);
    // When ticks come every 10 ms
    for (let i = 0; i < 9; i++) advance(10);
    // Then it has not fired at 90 ms, and fires once at 100 ms
    expect(fired).toBe(0);
    advance(10);
    expect(fired).toBe(1);
    advance(10);
    expect(fired).toBe(1);
    expect(clock.elapsed).toBe(110);
  });

  it('counts a stall of the thread as one long tick at most, so a stalled host times out nothing', () => {
    // Given an alarm at 100 ms
    const { clock, advance } = fakeClock();
    let fired = false;
    clock.after(100, () => (fired = true));
    // When the thread stalls for 5 s, then runs on
    advance(5000);
    // Then one tick (10 ms) was counted, and the alarm fires 90 ms of running later
    expect(clock.elapsed).toBe(10);
    expect(fired).toBe(false);
    for (let i = 0; i < 8; i++) advance(10);
    expect(fired).toBe(false);
    advance(10);
    expect(fired).toBe(true);
  });

  it('forgets a cancelled alarm', () => {
    const { clock, advance } = fakeClock();
    let fired = false;
    const cancel = clock.after(20, () => (fired = true));
    cancel();
    advance(30);
    expect(fired).toBe(false);
  });
});

describe('compressDefinition', () => {
  const definition = {
    StartAt: 'Work',
    TimeoutSeconds: 300,
    States: {
      Work: {
        Type: 'Task',
        Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:f',
        TimeoutSeconds: 17,
        HeartbeatSeconds: 9,
        Retry: [
          {
            ErrorEquals: ['TransientError'],
            IntervalSeconds: 2,
            MaxAttempts: 3,
            BackoffRate: 2,
            MaxDelaySeconds: 10,
            JitterStrategy: 'FULL',
          },
          { ErrorEquals: ['States.ALL'] },
        ],
        Next: 'Pause',
      },
      Put: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Next: 'Pause' },
      Pause: { Type: 'Wait', Seconds: 60, End: true },
    },
  };

  it('divides every wait by the one factor, and keeps counts, rates and the execution timeout', () => {
    const c = compressDefinition(definition) as any;
    const f = TIME_COMPRESSION;
    expect(c.States.Work).toMatchObject({ TimeoutSeconds: 17 / f, HeartbeatSeconds: 9 / f });
    expect(c.States.Work.Retry[0]).toEqual({ ...definition.States.Work.Retry[0], IntervalSeconds: 2 / f, MaxDelaySeconds: 10 / f });
    // Step Functions' defaults, made explicit before they are compressed: interval 1 s, a task's timeout 60 s
    expect(c.States.Work.Retry[1]).toEqual({ ErrorEquals: ['States.ALL'], IntervalSeconds: 1 / f });
    expect(c.States.Put.TimeoutSeconds).toBe(60 / f);
    expect(c.States.Pause.Seconds).toBe(60 / f);
    // the execution's own timeout is a guard, kept as declared
    expect(c.TimeoutSeconds).toBe(300);
    // and the declared definition is left as it was
    expect(definition.States.Work.TimeoutSeconds).toBe(17);
  });
});

describe('visibilityRefusal', () => {
  it('refuses a mapping whose function may run longer than its queue hides a message, as Lambda does', () => {
    expect(visibilityRefusal('m', 30, 60)).toBe(
      'mapping m: InvalidParameterValueException: Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds ' +
        '(Lambda refuses the mapping, so pulumi up fails)',
    );
    expect(visibilityRefusal('m', 60, 60)).toBeUndefined();
  });
});
