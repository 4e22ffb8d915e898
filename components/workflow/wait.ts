import type { AslObject } from './asl';
import { type StateOwner, Chainable } from './state';

/** A Wait state of fixed seconds. */
export class WaitState<I> extends Chainable<I, I> {
  readonly type = 'Wait' as const;
  constructor(
    owner: StateOwner,
    name: string,
    private readonly seconds: number,
    comment?: string,
  ) {
    super(owner, name, comment);
  }
  toAsl(): AslObject {
    return { ...this.base(), Seconds: this.seconds, ...this.transition() };
  }
}
