/**
 * The integration specs' server harness (src/__tests__/server.ts) when the
 * port it was to use is taken before the server binds it: it gives up at
 * once where the port was given, and tries another where it picked it,
 * instead of waiting for a URL that never comes until `beforeAll`'s limit.
 */
import { ServerConnection } from '@jupyterlab/services';
import { JupyterServer } from '@jupyterlab/testing';
import * as net from 'node:net';
import { freePort, START_MS, startServer } from '../../__tests__/server';

describe('startServer on a port that is taken', () => {
  const holder = net.createServer();
  let taken = 0;

  beforeAll(async () => {
    await new Promise<void>(resolve =>
      holder.listen(0, '127.0.0.1', () => resolve())
    );
    taken = (holder.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise(resolve => holder.close(resolve));
  });

  it('fails at once on a given port, naming it', async () => {
    const started = Date.now();
    await expect(
      startServer(new JupyterServer(), { port: taken })
    ).rejects.toThrow(
      `Gave up waiting for a Jupyter server to listen on 127.0.0.1 after 1 try:\nport ${taken}: its process exited (code 1)`
    );
    // Not the try's own limit: the server's exit ended it.
    expect(Date.now() - started).toBeLessThan(START_MS);
  });

  it('starts on another port when the one it picked is taken', async () => {
    const server = new JupyterServer();
    const picked: number[] = [];
    const pickPort = async () => {
      const port = picked.length ? await freePort() : taken;
      picked.push(port);
      return port;
    };
    await startServer(server, {}, { pickPort });
    try {
      expect(picked).toHaveLength(2);
      expect(picked[0]).toBe(taken);
      const settings = ServerConnection.makeSettings();
      expect(settings.baseUrl).toBe(`http://127.0.0.1:${picked[1]}/`);
      const response = await ServerConnection.makeRequest(
        `${settings.baseUrl}api/status`,
        {},
        settings
      );
      expect(response.status).toBe(200);
    } finally {
      await server.shutdown();
    }
  });
});
