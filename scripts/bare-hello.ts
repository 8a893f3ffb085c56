/**
 * The benchmark's baseline: a bare Express "hello" in a process of its own, with none of Mashang's
 * middleware (security headers, sessions, CSRF, logging). `npm run bench` loads it in the same run,
 * with the same tool and connections, as the app's pages, and reports each page as a share of it.
 */
import express from 'express';

const app = express();
app.get('/hello', (_req, res) => {
  res.type('text').send('hello');
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('bare hello ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
