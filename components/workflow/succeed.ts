import type { AslObject } from './asl';
import { type Edge, State } from './state';

/** Ends the execution successfully. Terminal: it has no `next()`. */
export class SucceedState extends State<unknown, never> {
  readonly type = 'Succeed' as const;
  edges(): Edge[] {
    return [];
  }
  toAsl(): AslObject {
    return this.base();
  }
}
