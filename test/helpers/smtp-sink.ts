/**
 * A real SMTP server for e-mail tests (the `smtp-server` package on 127.0.0.1, port 0, AUTH
 * required): every accepted message is parsed with `mailparser`; `rejectNext(code)` makes the
 * next RCPT TO fail with that SMTP reply code (4xx temporary, 5xx permanent).
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpSink {
  port: number;
  user: string;
  pass: string;
  mails: ParsedMail[];
  /** RCPT TO attempts seen (accepted or not). */
  rcptAttempts: number;
  rejectNext(...codes: number[]): void;
  close(): Promise<void>;
}

export async function startSmtpSink(user = 'relay', pass = 'relay-secret-1'): Promise<SmtpSink> {
  const mails: ParsedMail[] = [];
  let rejects: number[] = [];
  const sink = { rcptAttempts: 0 } as SmtpSink;
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === pass) cb(null, { user });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, cb) {
      sink.rcptAttempts++;
      const code = rejects.shift();
      if (code) cb(Object.assign(new Error(code >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: code }));
      else cb();
    },
    onData(stream, _session, cb) {
      simpleParser(stream).then(
        (m) => {
          mails.push(m);
          cb();
        },
        (e: Error) => cb(e),
      );
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as AddressInfo).port;
  return Object.assign(sink, {
    port,
    user,
    pass,
    mails,
    rejectNext: (...codes: number[]) => {
      rejects = codes;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
}
