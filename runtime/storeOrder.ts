import type { StorageResult, WorkflowInput } from './codecs';

/** The store-order function's handler type: what the workflow's StoreOrder task is typed by. */
export type StoreOrderHandler = (input: WorkflowInput) => Promise<StorageResult>;
