import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NotificationConfig } from '../../src/config/schema.js';
import { notificationRequest, receiversFor, type Notification } from '../../src/report/notify.js';

const n: Notification = { event: 'drift', target: 'shop', revision: 'a'.repeat(40), message: 'drift: ConfigMap/shop/a (changed)', deliveryId: 'd1', at: '2026-11-26T00:00:00.000Z' };
const webhook: NotificationConfig = { type: 'webhook', url: 'https://hooks.example/x', secret: 'k', events: ['deploy_failed', 'rolled_back', 'drift'] };
const slack: NotificationConfig = { type: 'slack', url: 'https://hooks.slack.example/T', events: ['rolled_back'], targets: ['shop'] };

describe('notifications', () => {
  it('signs the JSON body with HMAC-SHA256', () => {
    const { body, headers } = notificationRequest(webhook, n);
    expect(JSON.parse(body)).toEqual(n);
    expect(headers['x-driftless-signature-256']).toBe(`sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`);
    expect(headers['x-driftless-event']).toBe('drift');
  });

  it('writes Slack incoming-webhook text', () => {
    const { body } = notificationRequest(slack, { ...n, event: 'rolled_back', rolledBackTo: 'b'.repeat(40) });
    expect(JSON.parse(body)).toEqual({ text: '*Deploy failed and was rolled back*: `shop` at `aaaaaaa` (now at `bbbbbbb`)\ndrift: ConfigMap/shop/a (changed)' });
  });

  it.each([
    { event: 'drift' as const, target: 'shop', expected: [webhook] },
    { event: 'rolled_back' as const, target: 'shop', expected: [webhook, slack] },
    { event: 'rolled_back' as const, target: 'other', expected: [webhook] },
  ])('sends $event on $target to the receivers that want it', ({ event, target, expected }) => {
    expect(receiversFor([webhook, slack], { event, target })).toEqual(expected);
  });
});
