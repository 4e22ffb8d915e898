/**
 * The clock the local cloud's compressed timeouts run on: wall time, less the stalls of the thread that
 * keeps it.
 *
 * Local time is compressed (`TIME_COMPRESSION`), so a function's timeout here is a few hundred
 * milliseconds, about as long as the host may stall on a shared, busy machine (a scheduler pause, a
 * garbage collection, a burst at higher priority). Measured on the wall clock, such a stall would time out
 * an invocation that was not slow at all, only not running, and nothing on AWS corresponds to it: a
 * Lambda timeout measures an execution environment that has its own share of CPU. So the clock ticks
 * every `tickMs` and counts at most `maxStepMs` (by default one tick) for a tick: while the thread runs,
 * it keeps wall time to within a tick; across a stall it counts one tick, so a starved thread's clock
 * slows with it. A timeout here therefore fires no sooner
 * than on the wall clock, and later only by the stalls.
 */
export class RunningClock {
  private elapsedMs = 0;
  private last: number;
  private interval: NodeJS.Timeout | undefined;
  private readonly alarms = new Set<{ readonly at: number; readonly fire: () => void }>();

  constructor(
    private readonly tickMs = 10,
    private readonly maxStepMs = tickMs,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.last = now();
  }

  /** Milliseconds counted so far. */
  get elapsed(): number {
    return this.elapsedMs;
  }

  /** Calls `fire` once `ms` have been counted from now; the returned function cancels it. */
  after(ms: number, fire: () => void): () => void {
    const alarm = { at: this.elapsedMs + ms, fire };
    if (this.alarms.size === 0) this.start();
    this.alarms.add(alarm);
    return () => {
      this.alarms.delete(alarm);
      if (this.alarms.size === 0) this.halt();
    };
  }

  /** Counts the time since the last tick, up to `maxStepMs`, and fires the alarms that are due. */
  tick(): void {
    const now = this.now();
    this.elapsedMs += Math.min(Math.max(0, now - this.last), this.maxStepMs);
    this.last = now;
    for (const alarm of [...this.alarms]) {
      if (alarm.at > this.elapsedMs) continue;
      this.alarms.delete(alarm);
      alarm.fire();
    }
    if (this.alarms.size === 0) this.halt();
  }

  /** Ticks only while an alarm is set: an idle local cloud does not wake every few milliseconds. */
  private start(): void {
    this.last = this.now();
    // Unref'd: a pending alarm alone keeps no process alive (an invocation's sandbox does).
    this.interval = setInterval(() => this.tick(), this.tickMs).unref();
  }

  private halt(): void {
    if (this.interval) clearInterval(this.interval);
    this.interval = undefined;
  }
}

/** This thread's clock (a module is loaded once per thread): what the sandboxes' and the tasks' timeouts count on. */
export const threadClock = new RunningClock();
