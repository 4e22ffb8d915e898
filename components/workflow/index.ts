/** The typed state-machine builder: pure TypeScript, no AWS calls. */
export * from './builder';
export * from './errors';
export * from './paths';
export * from './states';
export * from './orderWorkflow';
