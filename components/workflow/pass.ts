import type { AslObject, AslValue } from './asl';
import type { ResultPath } from './paths';
import { type StateOwner, Chainable } from './state';
import { templateField } from './template';

/** A Pass state: optionally shapes a template and writes it at `ResultPath`. */
export class PassState<I, O> extends Chainable<I, O> {
  readonly type = 'Pass' as const;
  constructor(
    owner: StateOwner,
    name: string,
    private readonly parameters: AslValue | undefined,
    private readonly resultPath: ResultPath | undefined,
    comment?: string,
  ) {
    super(owner, name, comment);
  }
  toAsl(): AslObject {
    const asl: AslObject = { ...this.base() };
    if (this.parameters !== undefined) Object.assign(asl, templateField('Parameters', this.parameters));
    if (this.resultPath !== undefined) asl.ResultPath = this.resultPath;
    return { ...asl, ...this.transition() };
  }
}
