import { Webhooks } from '@octokit/webhooks';
import { z } from 'zod';
import { WebhookError, type ReceivedEvent, type WebhookReceiver } from '../types.js';

type Headers = Record<string, string | string[] | undefined>;
const header = (headers: Headers, name: string) => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const commitSchema = z.object({
  added: z.array(z.string()).default([]),
  removed: z.array(z.string()).default([]),
  modified: z.array(z.string()).default([]),
});

/** The part of GitHub's push payload Driftless reads. */
const pushSchema = z.object({
  ref: z.string(),
  before: z.string(),
  after: z.string(),
  deleted: z.boolean().default(false),
  commits: z.array(commitSchema).default([]),
  repository: z.object({ full_name: z.string(), clone_url: z.string().optional() }),
  pusher: z.object({ name: z.string() }).optional(),
  sender: z.object({ login: z.string() }).optional(),
});

/** GitHub lists at most 20 commits in a push payload (and omits files past that): beyond it, paths are unknown. */
const maxListedCommits = 20;

export class GitHubWebhook implements WebhookReceiver {
  readonly provider = 'github' as const;
  private readonly webhooks: Webhooks;

  constructor(secret: string) {
    this.webhooks = new Webhooks({ secret });
  }

  deliveryId(headers: Headers): string | undefined {
    return header(headers, 'x-github-delivery');
  }

  async verify(rawBody: Buffer, headers: Headers): Promise<void> {
    const signature = header(headers, 'x-hub-signature-256');
    if (!signature) throw new WebhookError(401, 'missing X-Hub-Signature-256 header: set a secret on the GitHub webhook');
    if (!header(headers, 'x-github-event')) throw new WebhookError(400, 'missing X-GitHub-Event header');
    const ok = await this.webhooks.verify(rawBody.toString('utf8'), signature).catch(() => false);
    if (!ok) throw new WebhookError(401, 'signature does not match: the webhook secret differs from providers.github.webhookSecret');
  }

  normalize(rawBody: Buffer, headers: Headers): ReceivedEvent {
    const event = header(headers, 'x-github-event');
    let payload: unknown;
    try {
      payload = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new WebhookError(400, 'body is not valid JSON');
    }
    if (event === 'ping') return { kind: 'ignored', reason: 'ping' };
    if (event !== 'push') return { kind: 'ignored', reason: `event ${event} is not handled` };
    const parsed = pushSchema.safeParse(payload);
    if (!parsed.success) throw new WebhookError(400, `push payload is missing fields: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
    const p = parsed.data;
    const complete = p.commits.length > 0 && p.commits.length < maxListedCommits;
    return {
      kind: 'push',
      provider: 'github',
      repo: p.repository.full_name,
      ref: p.ref,
      before: p.before,
      after: p.after,
      deleted: p.deleted || /^0{40}$/.test(p.after),
      changedPaths: complete ? [...new Set(p.commits.flatMap((c) => [...c.added, ...c.removed, ...c.modified]))] : undefined,
      actor: p.sender?.login ?? p.pusher?.name ?? 'unknown',
      cloneUrl: p.repository.clone_url,
    };
  }
}
