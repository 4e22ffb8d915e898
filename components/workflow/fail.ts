import type { AslObject } from './asl';
import type { PathsOfType } from './paths';
import { type Edge, type StateOwner, State } from './state';

/** `Error`/`Cause` of a Fail state: fixed strings, or paths to strings in its input. */
export interface FailProps<I> {
  readonly error?: string;
  readonly cause?: string;
  readonly errorPath?: PathsOfType<I, string>;
  readonly causePath?: PathsOfType<I, string>;
  readonly comment?: string;
}

/** Ends the execution as failed. Terminal: it has no `next()`. */
export class FailState<I> extends State<I, never> {
  readonly type = 'Fail' as const;
  constructor(
    owner: StateOwner,
    name: string,
    private readonly props: FailProps<I>,
  ) {
    super(owner, name, props.comment);
    if (props.error !== undefined && props.errorPath !== undefined) {
      owner.report(`state '${name}': 'error' and 'errorPath' are both set; give one`);
    }
    if (props.cause !== undefined && props.causePath !== undefined) {
      owner.report(`state '${name}': 'cause' and 'causePath' are both set; give one`);
    }
  }
  edges(): Edge[] {
    return [];
  }
  toAsl(): AslObject {
    const asl = this.base();
    if (this.props.error !== undefined) asl.Error = this.props.error;
    if (this.props.errorPath !== undefined) asl.ErrorPath = this.props.errorPath;
    if (this.props.cause !== undefined) asl.Cause = this.props.cause;
    if (this.props.causePath !== undefined) asl.CausePath = this.props.causePath;
    return asl;
  }
}
