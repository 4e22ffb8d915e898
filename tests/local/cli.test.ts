import * as net from 'net';
import { runCli } from '../support/localCloud';

describe('npm start flags', () => {
  it('refuses an unknown stack with one line and exit code 1', async () => {
    const r = await runCli(['--stack', 'qa', '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      "dofs local cloud: unknown stack 'qa': expected one of dev, prod, review, staging (a Pulumi.<stack>.yaml file)",
    );
  });

  it('refuses a taken port with one line and exit code 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await runCli(['--port', String(port), '--quiet']);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`dofs local cloud: port ${port} on 127.0.0.1 is taken: stop what uses it or pass --port <another>`);
    } finally {
      blocker.close();
    }
  });

  it.each([
    [['--port', 'http'], "--port 'http' is not a port: expected a whole number from 0 to 65535"],
    [['--port', '70000'], "--port '70000' is not a port: expected a whole number from 0 to 65535"],
    [['--colour'], "Unknown option '--colour'"],
    [['--config', 'fulfillmentSuccessRate'], "--config 'fulfillmentSuccessRate' is not KEY=VALUE"],
  ])('refuses %p naming the flag and what is allowed', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a bad --config value with the stack config message', async () => {
    const r = await runCli(['--config', 'fulfillmentSuccessRate=2', '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('dofs:fulfillmentSuccessRate = 2 is not allowed: expected a number from 0 to 1');
  });

  it('reads PORT when --port is not given', async () => {
    const r = await runCli([], { PORT: 'abc' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--port 'abc' is not a port");
  });
});
