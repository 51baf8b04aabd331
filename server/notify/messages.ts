// A notice as each kind of channel receives it: the webhook envelope, a Slack Block Kit message,
// an email with a plain-text and an HTML part. Made once when the delivery is queued, so every
// retry sends the same bytes.
import type { Notice } from './notices.ts';

/** The webhook body: `{id, event, at, data}`, `id` the delivery id. */
export function webhookBody(deliveryId: string, notice: Notice): string {
  return JSON.stringify({ id: deliveryId, event: notice.event, at: notice.at, data: notice.data });
}

interface Links {
  app?: string;
  web?: string;
}

function linksOf(notice: Notice): Links {
  const request = notice.data.request as { links?: Links } | undefined;
  return request?.links ?? {};
}

/** Slack's mrkdwn treats &, < and > as markup. */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Slack's limits: a header's text up to 150 characters, a section's up to 3000, a field's up to 2000. */
const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

export function slackBody(notice: Notice): string {
  const links = linksOf(notice);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(notice.title, 150), emoji: false } },
    {
      type: 'section',
      fields: notice.fields.slice(0, 10).map(([label, value]) => ({ type: 'mrkdwn', text: cut(`*${slackEscape(label)}*\n${slackEscape(value)}`, 2000) })),
    },
  ];
  if (notice.text) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cut(`> ${slackEscape(notice.text)}`, 3000) } });
  const buttons = [
    ...(links.web ? [{ type: 'button', text: { type: 'plain_text', text: 'Open in the web console' }, url: links.web, action_id: 'open_web' }] : []),
    ...(links.app ? [{ type: 'button', text: { type: 'plain_text', text: 'Open in Gatehouse' }, url: links.app, action_id: 'open_app' }] : []),
  ];
  if (buttons.length) blocks.push({ type: 'actions', elements: buttons });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Gatehouse · ${notice.event} · ${notice.at}` }] });
  return JSON.stringify({ text: cut(notice.title, 3000), blocks });
}

/** What an email delivery's body holds: everything the mailer needs, but the sender. */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** One-click unsubscribe (RFC 8058): the URL a mail client POSTs to. */
  unsubscribe?: string;
}

const htmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Header values never carry a line break (a justification could otherwise inject headers). */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();

export function emailMessage(notice: Notice, to: string, unsubscribe: string | undefined): EmailMessage {
  const links = linksOf(notice);
  const text = [
    notice.title,
    '',
    ...notice.fields.map(([label, value]) => `${label}: ${value}`),
    ...(notice.text ? ['', notice.text] : []),
    '',
    ...(links.web ? [`Open in the web console: ${links.web}`] : []),
    ...(links.app ? [`Open in Gatehouse: ${links.app}`] : []),
    ...(unsubscribe ? ['', `You get this because of your Gatehouse email preferences. To stop these: ${unsubscribe} (POST), or change them in Settings.`] : []),
  ].join('\n');
  const rows = notice.fields
    .map(([label, value]) => `<tr><th align="left" style="padding:2px 12px 2px 0">${htmlEscape(label)}</th><td>${htmlEscape(value)}</td></tr>`)
    .join('');
  const html = [
    '<!doctype html><html><body style="font-family:system-ui,sans-serif">',
    `<h2>${htmlEscape(notice.title)}</h2>`,
    `<table>${rows}</table>`,
    notice.text ? `<blockquote>${htmlEscape(notice.text)}</blockquote>` : '',
    '<p>',
    links.web ? `<a href="${htmlEscape(links.web)}">Open in the web console</a> · ` : '',
    links.app ? `<a href="${htmlEscape(links.app)}">Open in Gatehouse</a>` : '',
    '</p>',
    unsubscribe ? '<p style="color:#666;font-size:small">You get this because of your Gatehouse email preferences; change them in Settings.</p>' : '',
    '</body></html>',
  ].join('');
  return { to, subject: oneLine(`[Gatehouse] ${notice.title}`), text, html, ...(unsubscribe ? { unsubscribe } : {}) };
}
