// A second baseline: the server of Vonage's call-tracking tutorial, which this project grew
// from, written again here in its shape. Express, every call pushed as {timestamp, from} into an
// in-memory map keyed by the number dialled, a connect NCCO to one fixed number, 204 to events.

import express from 'express';

const port = Number(process.env.PORT ?? 0);
const PROXY_TO_NUMBER = '447700900000';

const trackedCalls: Record<string, { timestamp: number; from: unknown }[]> = {};

const app = express();
app.use(express.json());
app.get('/', (_req, res) => {
  res.send('Hello Vonage');
});
app.get('/track-call', (req, res) => {
  const to = String(req.query.to);
  (trackedCalls[to] ??= []).push({ timestamp: Date.now(), from: req.query.from });
  res.json([{ action: 'connect', from: to, endpoint: [{ type: 'phone', number: PROXY_TO_NUMBER }] }]);
});
app.post('/event', (_req, res) => {
  res.sendStatus(204);
});

const server = app.listen(port, '0.0.0.0');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
