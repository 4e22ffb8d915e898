import type * as http from 'http';
import type { AddressInfo } from 'net';

/** Listens on a free port of 127.0.0.1: the endpoint, and a stop that closes open connections first. */
export const listenLocally = async (server: http.Server): Promise<{ endpoint: string; stop: () => Promise<void> }> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
};
