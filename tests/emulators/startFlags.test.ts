/**
 * `npm start`'s flags (local/main.ts parseFlags), parsed without starting anything: the at-least-once knobs
 * and the flags around them; a bad value is one line naming the flag, the value and what is allowed.
 */
import { parseFlags } from '../../local/main';
import { LocalCloudError } from '../../local/common';

const refusal = (argv: string[]): string => {
  try {
    parseFlags(argv, {});
  } catch (e) {
    if (e instanceof LocalCloudError) return e.message;
    throw e;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
};

describe('npm start flags, parsed', () => {
  it('by default: no duplicate executions, no redeliveries, the dev stack on port 3000', () => {
    expect(parseFlags([], {})).toMatchObject({ stack: 'dev', port: 3000, duplicateExecutions: 0, redeliveries: 0, config: {} });
  });

  it('reads the at-least-once knobs as shares from 0 to 1, in either spelling of a value', () => {
    expect(parseFlags(['--duplicate-executions', '0.1', '--redeliveries=0.05'], {})).toMatchObject({
      duplicateExecutions: 0.1,
      redeliveries: 0.05,
    });
    expect(parseFlags(['--duplicate-executions', '1', '--redeliveries', '0'], {})).toMatchObject({
      duplicateExecutions: 1,
      redeliveries: 0,
    });
  });

  it('keeps the knobs out of the stack config: they are flags of the local cloud, not config keys', () => {
    expect(parseFlags(['--redeliveries', '0.5', '--config', 'workflowType=EXPRESS'], {}).config).toEqual({
      'dofs:workflowType': 'EXPRESS',
    });
  });

  it.each([
    [['--duplicate-executions', '1.5'], "--duplicate-executions '1.5' is not a rate: expected a number from 0 to 1"],
    [['--duplicate-executions=-0.1'], "--duplicate-executions '-0.1' is not a rate: expected a number from 0 to 1"],
    [['--redeliveries', 'some'], "--redeliveries 'some' is not a rate: expected a number from 0 to 1"],
    [['--redeliveries', ''], "--redeliveries '' is not a rate: expected a number from 0 to 1"],
    [['--redeliveries', '0x1'], "--redeliveries '0x1' is not a rate: expected a number from 0 to 1"],
    [['--redeliveries', 'NaN'], "--redeliveries 'NaN' is not a rate: expected a number from 0 to 1"],
    [['--port', '70000'], "--port '70000' is not a port: expected a whole number from 0 to 65535"],
    [['--config', 'workflowType'], "--config 'workflowType' is not KEY=VALUE: expected e.g. --config fulfillmentSuccessRate=0.5"],
  ])('refuses %p, naming the flag, the value and what is allowed', (argv, message) => {
    expect(refusal(argv)).toBe(message);
  });

  it('refuses a knob without its value, and an unknown flag, pointing at --help', () => {
    expect(refusal(['--redeliveries'])).toMatch(
      /^Option '--redeliveries <value>' argument missing; run 'npm start -- --help' for the flags$/,
    );
    expect(refusal(['--duplicates', '0.1'])).toMatch(/^Unknown option '--duplicates'.*; run 'npm start -- --help' for the flags$/);
  });
});
