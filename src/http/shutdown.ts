import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A clean stop for an HTTP server. server.close() alone waits for every open connection, and
 * Node counts as busy a kept-alive connection that has not sent its next request yet, or one a
 * browser opened ahead of time and never used: either holds the process until its timeout.
 * This closes every connection with no request under way at once, lets the requests under way
 * finish (their answers say `Connection: close`), and cuts whatever is left after `graceMs`.
 */
export function gracefulShutdown(server: Server, opts: { graceMs: number; onForce?: () => void }) {
  const inFlight = new Map<Socket, number>();
  let stopping = false;

  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    if (stopping) res.setHeader('Connection', 'close');
    res.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      inFlight.set(socket, left);
      if (stopping && left === 0) socket.end();
    });
  });

  return {
    /** Stops accepting; resolves when every connection is closed. */
    close(): Promise<void> {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [socket, n] of inFlight) if (n === 0) socket.destroy();
      const force = setTimeout(() => {
        opts.onForce?.();
        server.closeAllConnections();
        for (const socket of inFlight.keys()) socket.destroy();
      }, opts.graceMs);
      force.unref();
      return closed.finally(() => clearTimeout(force));
    },
  };
}
