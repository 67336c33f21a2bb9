// Baseline: a bare node:http server that reads the body and answers 202. The ceiling of
// what any handler on this machine can reach with the same load generator.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const body = '{"result":"queued"}';
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'listening', port: (server.address() as AddressInfo).port }));
});
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
