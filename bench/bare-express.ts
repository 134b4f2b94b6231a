// The baseline the benchmark measures against: a bare Express 5 app that answers every answer
// webhook with one constant connect NCCO. No store, no logging, no parsing beyond Express's own.

import express from 'express';

const port = Number(process.env.PORT ?? 0);

const NCCO = [{ action: 'connect', from: '447700900100', endpoint: [{ type: 'phone', number: '447700900000' }] }];

const app = express();
app.disable('x-powered-by');
app.get('/', (_req, res) => {
  res.type('text/plain').send('Hello Vonage');
});
app.get('/track-call', (_req, res) => {
  res.json(NCCO);
});

const server = app.listen(port, '0.0.0.0');
// Same keep-alive as the real service, so both are driven over the same kind of connection.
server.keepAliveTimeout = 65_000;
process.once('SIGTERM', () => server.close(() => process.exit(0)));
