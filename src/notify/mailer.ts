/**
 * Sending e-mail over SMTP (`smtp_url`, e.g. smtp://user:pass@host:587; smtps:// for TLS from
 * the start) with nodemailer. Without `smtp_url` there is no mailer, and the features that
 * need one answer so (reports.ts).
 */
import { createTransport, type Transporter } from 'nodemailer';

export interface Message {
  to: readonly string[];
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(message: Message): Promise<void>;
  close(): void;
}

export function smtpMailer(url: string, from: string): Mailer {
  const transport: Transporter = createTransport(url);
  return {
    async send(m) {
      await transport.sendMail({ from, to: [...m.to], subject: m.subject, text: m.text, html: m.html });
    },
    close: () => transport.close(),
  };
}
