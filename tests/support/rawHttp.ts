import * as net from 'net';
import { HANG_GUARD_MS } from './localCloud';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** The body, de-chunked; '' when the connection closed without one. */
  readonly body: string;
}

/** Decodes a chunked body (enough for a test: sizes, data, the last chunk). */
const dechunk = (raw: string): string => {
  let out = '';
  let rest = raw;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd === -1) return out;
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (!size) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
};

/**
 * Writes `request` as is to the server at `url` (an http://host:port URL) and reads the response until the
 * server closes the connection or the response is complete. For what fetch cannot send: a bad method, bad
 * chunking, a header over the limit, a bare `%`. With `halfClose` (the default) it then half-closes, which
 * ends a request that is cut off mid-body; Node's server drops a complete request whose client half-closed
 * before the answer (it does not allow half-open HTTP connections), so a request that is answered
 * asynchronously needs `halfClose: false`.
 */
export const rawRequest = (url: string, request: string | Buffer, { halfClose = true } = {}): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`hang guard: no complete answer to a raw request in ${HANG_GUARD_MS} ms`));
    }, HANG_GUARD_MS);
    const parse = (): RawResponse | undefined => {
      const text = Buffer.concat(chunks).toString('utf8');
      const headEnd = text.indexOf('\r\n\r\n');
      if (headEnd === -1) return undefined;
      const [statusLine, ...lines] = text.slice(0, headEnd).split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]),
      );
      const rest = text.slice(headEnd + 4);
      const status = Number(statusLine.split(' ')[1]);
      if (headers['transfer-encoding'] === 'chunked')
        return rest.endsWith('0\r\n\r\n') ? { status, headers, body: dechunk(rest) } : undefined;
      const length = Number(headers['content-length'] ?? NaN);
      if (!Number.isNaN(length)) return Buffer.byteLength(rest) >= length ? { status, headers, body: rest.slice(0, length) } : undefined;
      return undefined;
    };
    const finish = () => {
      clearTimeout(guard);
      socket.destroy();
      const res = parse();
      if (res) resolve(res);
      else reject(new Error(`no complete HTTP response; got ${JSON.stringify(Buffer.concat(chunks).toString('utf8').slice(0, 200))}`));
    };
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (parse()) finish();
    });
    socket.on('close', finish);
    socket.on('error', () => undefined); // a reset after the answer: 'close' follows and decides
    if (halfClose) socket.end(request);
    else socket.write(request);
  });
