/**
 * `npm run cost` as a user runs it: strict flags (a bad one names the flag, the value and what is allowed, exit 1,
 * as the other scripts), checked by importing the script with the flags on `process.argv` (an imported script stops
 * after its flags); and one run, in a process of its own, on the prod stack's synthesized program (the only program
 * run of these tests).
 */
import { execFile } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const cost = (args: readonly string[]) =>
  new Promise<Run>((resolve) => {
    execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.join('scripts', 'cost.ts'), ...args],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

const refused: [string[], string][] = [
  [['--stack', 'qa', '--orders-per-month', '10'], "--stack 'qa' is not allowed: expected one of dev, staging, prod"],
  [['--stack', 'prod', '--orders-per-month', '1e6'], "--orders-per-month '1e6' is not allowed: expected a whole number of at least 1"],
  [
    ['--stack', 'prod', '--orders-per-month', '10', '--rejected-share', '1.5'],
    "--rejected-share '1.5' is not allowed: expected a number from 0 to 1",
  ],
  [
    ['--stack', 'prod', '--orders-per-month', '10', '--workflow', 'fast'],
    "--workflow 'fast' is not allowed: expected one of STANDARD, EXPRESS, both",
  ],
  [
    ['--stack', 'prod', '--orders-per-month', '10', '--duration-ms', 'validator=fast'],
    "--duration-ms 'validator=fast' is not allowed: expected NAME=MS",
  ],
  [['--stack', 'prod', '--orders-per-month', '10', '--colour'], "Unknown option '--colour'"],
  [['--orders-per-month', '10'], '--stack is required: expected one of dev, staging, prod'],
];

class Exit extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

/** Imports the script with `args` as its command line: its exit code (undefined: it did not exit) and what it wrote on stderr. */
const flagsOf = async (args: readonly string[]): Promise<{ code?: number; stderr: string }> => {
  const argv = process.argv;
  let stderr = '';
  const exit = jest.spyOn(process, 'exit').mockImplementation(((code?: number) => {
    throw new Exit(code ?? 0);
  }) as never);
  const write = jest.spyOn(process.stderr, 'write').mockImplementation(((s: string) => {
    stderr += s;
    return true;
  }) as never);
  process.argv = [argv[0], path.join(ROOT, 'scripts', 'cost.ts'), ...args];
  try {
    await jest.isolateModulesAsync(async () => {
      await import('../../scripts/cost');
    });
    return { stderr };
  } catch (e) {
    if (e instanceof Exit) return { code: e.code, stderr };
    throw e;
  } finally {
    process.argv = argv;
    exit.mockRestore();
    write.mockRestore();
  }
};

let prod: Run;
beforeAll(async () => {
  prod = await cost([
    '--stack',
    'prod',
    '--orders-per-month',
    '1000000',
    '--duration-ms',
    'validator=8',
    '--duration-ms',
    'seed.validator=400',
  ]);
});

describe('npm run cost', () => {
  it.each(refused.map(([args, message]) => [args.join(' '), args, message] as const))(
    'refuses %s with one line naming the flag, the value and what is allowed',
    async (_shown, args, message) => {
      const r = await flagsOf(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cost: ${message}`);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    },
  );

  it('takes good flags without exiting when imported', async () => {
    expect(
      await flagsOf(['--stack', 'dev', '--orders-per-month', '5', '--workflow', 'EXPRESS', '--duration-ms', 'seed.fulfillment=90']),
    ).toEqual({
      stderr: '',
    });
  });

  it("prices prod from its own resources: STANDARD, EXPRESS and the seed side by side, totals and the seed's ratio", () => {
    expect(prod.stderr).toBe('');
    expect(prod.code).toBe(0);
    const out = prod.stdout;
    // Read from the synthesized functions and the decoded config, not written in the script.
    expect(out).toContain('api-handler 512 MB arm64, validator 256 MB arm64');
    expect(out).toContain('log level WARN (Lambda application INFO, system WARN), workflow log ERROR');
    expect(out).toMatch(/STANDARD\s+EXPRESS\s+seed \(STANDARD\)/);
    for (const service of ['API Gateway', 'Step Functions', 'Lambda', 'SQS', 'DynamoDB', 'CloudWatch', 'X-Ray', 'KMS', 'EventBridge'])
      expect(out).toMatch(new RegExp(`^${service} +\\$`, 'm'));
    // 1M orders: 4M API requests at $3.50 a million, the same in each design.
    expect(out).toMatch(/REST requests +4\.00M requests +\$14\.00 +4\.00M requests +\$14\.00 +4\.00M requests +\$14\.00/);
    expect(out).toMatch(/^total a month +\$\d+/m);
    expect(out).toMatch(/^per million orders +\$\d+/m);
    expect(out).toMatch(/^seed \/ EXPRESS: \d+\.\d\d×$/m);
    // The --duration-ms overrides reach their design.
    expect(out).toMatch(/STANDARD: api-handler-post 50, api-handler-get 15, validator 8,/);
    expect(out).toMatch(/seed \(STANDARD\): api-handler-post 200, api-handler-get 200, validator 400,/);
  });
});
