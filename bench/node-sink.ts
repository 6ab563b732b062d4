/**
 * Fallback SMTP sink for `npm run bench` where Postfix's smtp-sink is missing: accepts and
 * discards every message. `node --import tsx bench/node-sink.ts <port>`.
 */
import { SMTPServer } from 'smtp-server';

const port = Number(process.argv[2] ?? 2525);
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, _session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => callback());
  },
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
