/** What the benchmark scripts share: their flags, parsed strictly, and a one-line error that names the flag. */
import { type ParseArgsConfig, parseArgs } from 'util';

/** Prints `<script>: <message>` on stderr and exits 1. */
export const failWith =
  (script: string) =>
  (message: string): never => {
    process.stderr.write(`${script}: ${message}\n`);
    process.exit(1);
  };

/** The command line's flags; an unknown or ill-formed one stops the script with the flags it takes. */
export const parseFlags = <O extends NonNullable<ParseArgsConfig['options']>>(script: string, options: O, usage: string) => {
  try {
    return parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    return failWith(script)(`${(e as Error).message.split('\n')[0]}; flags: ${usage}`);
  }
};
