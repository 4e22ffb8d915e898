declare module 'asl-validator' {
  interface AslValidationResult {
    readonly isValid: boolean;
    readonly errors: unknown[];
    errorsText(separator?: string): string;
  }
  function aslValidator(definition: unknown, opts?: { checkPaths?: boolean; checkArn?: boolean }): AslValidationResult;
  export = aslValidator;
}
