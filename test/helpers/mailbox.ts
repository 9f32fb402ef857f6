/**
 * A real SMTP server on loopback (the smtp-server package) that keeps every message it takes,
 * parsed with mailparser: what the server under test e-mails, as a recipient would read it.
 * Mail to `REFUSED` is refused (550), for the retry path.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export const REFUSED = 'refused@example.com';

export interface Mailbox {
  /** MALLARD_SMTP_URL for it. */
  url: string;
  mails: ParsedMail[];
  /** The messages with `address` among their recipients. */
  sentTo(address: string): ParsedMail[];
  close(): Promise<void>;
}

const recipients = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : [m.to]).flatMap((a) => a?.value.map((v) => v.address) ?? []);

export async function startMailbox(): Promise<Mailbox> {
  const mails: ParsedMail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address === REFUSED) callback(new Error('550 mailbox unavailable'));
      else callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (m) => {
          mails.push(m);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  smtp.listen(0, '127.0.0.1');
  await once(smtp.server, 'listening');
  const port = (smtp.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    sentTo: (address) => mails.filter((m) => recipients(m).includes(address)),
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}
