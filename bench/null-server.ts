// A baseline for bench/http-ingest.ts: an HTTP server that answers every request 200 at once, without parsing it.
// Driving it shows how many events/s the load generator itself can send on this machine.
import { createServer } from 'node:http';

const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"success":true}');
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`Siyu API on http://127.0.0.1:${address.port} (null server)\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
