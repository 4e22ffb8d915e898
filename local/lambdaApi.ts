/**
 * The Lambda API, as far as the operator's commands use it: GetEventSourceMapping and UpdateEventSourceMapping
 * `Enabled` (`npm run ops -- redrive` pauses the dlq-handler's mapping while it moves dead letters). REST-JSON,
 * as https://docs.aws.amazon.com/lambda/latest/api/API_GetEventSourceMapping.html and
 * API_UpdateEventSourceMapping.html describe it: `GET|PUT /2015-03-31/event-source-mappings/{UUID}`, 200 and
 * 202 with the mapping; an unknown UUID is 404 ResourceNotFoundException (the error name in `x-amzn-ErrorType`).
 */
import * as http from 'http';
import { listenLocally } from './listen';
import type { MappingDescription } from './backend';

export type MappingControl = (uuid: string, enabled?: boolean) => Promise<MappingDescription | undefined>;

const PATH = /^\/2015-03-31\/event-source-mappings\/([^/?]+)\/?(?:\?.*)?$/;

export const startLocalLambdaApi = async (mapping: MappingControl) => {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown, errorType?: string) => {
        const text = JSON.stringify(body);
        res.writeHead(status, {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(text),
          ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
        });
        res.end(text);
      };
      void (async () => {
        const m = PATH.exec(req.url ?? '');
        if (!m || (req.method !== 'GET' && req.method !== 'PUT')) {
          return reply(
            404,
            { Type: 'User', Message: `the local Lambda API answers Get/UpdateEventSourceMapping only, not ${req.method} ${req.url}` },
            'ResourceNotFoundException',
          );
        }
        let enabled: boolean | undefined;
        if (req.method === 'PUT') {
          let body: { Enabled?: unknown };
          try {
            body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { Enabled?: unknown };
          } catch {
            return reply(400, { Type: 'User', Message: 'The request body is not JSON.' }, 'InvalidParameterValueException');
          }
          if (body.Enabled !== undefined && typeof body.Enabled !== 'boolean') {
            return reply(
              400,
              { Type: 'User', Message: `Enabled ${JSON.stringify(body.Enabled)} is not a boolean.` },
              'InvalidParameterValueException',
            );
          }
          enabled = body.Enabled;
        }
        const uuid = decodeURIComponent(m[1]);
        // A mapping in a transition refuses an update (API_UpdateEventSourceMapping.html, ResourceInUseException: 400).
        const current = enabled === undefined ? undefined : await mapping(uuid);
        if (current && current.State !== 'Enabled' && current.State !== 'Disabled') {
          return reply(
            400,
            { Type: 'User', Message: `The resource ${uuid} is currently ${current.State}: try again later.` },
            'ResourceInUseException',
          );
        }
        const found = await mapping(uuid, enabled);
        if (!found) return reply(404, { Type: 'User', Message: 'The resource you requested does not exist.' }, 'ResourceNotFoundException');
        reply(req.method === 'PUT' ? 202 : 200, found);
      })().catch((e: Error) => reply(500, { Type: 'Service', Message: e.message }, 'ServiceException'));
    });
  });
  return listenLocally(server);
};
