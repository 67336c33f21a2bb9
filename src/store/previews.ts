import type { Redis } from 'ioredis';
import type { PullRef } from '../model/pull.js';
import type { TargetPreview } from '../model/pull-comment.js';

/** A target's preview on one pull request, as the pull request's comment parts hold it. */
export interface StoredPreview {
  pr: PullRef;
  preview: TargetPreview;
}

/**
 * Finds a target's previews among the pull requests' stored comment parts (PullStore's
 * `<prefix>:pr:<provider>:<repo>:<number>:comment` hashes, field `<target>:preview`), which
 * are kept 30 days and are not indexed by target: a SCAN, for the dashboard's target page only.
 */
export class PreviewIndex {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** The target's previews, newest first, at most `limit`. */
  async forTarget(target: string, limit = 10): Promise<StoredPreview[]> {
    const head = `${this.prefix}:pr:`;
    const found: StoredPreview[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${head}*:comment`, 'COUNT', 500);
      cursor = next;
      const values = keys.length ? await Promise.all(keys.map((k) => this.redis.hget(k, `${target}:preview`))) : [];
      keys.forEach((key, i) => {
        const pr = pullOf(key.slice(head.length, -':comment'.length));
        if (pr && values[i]) found.push({ pr, preview: JSON.parse(values[i]!) as TargetPreview });
      });
    } while (cursor !== '0');
    return found.sort((a, b) => b.preview.at.localeCompare(a.preview.at)).slice(0, limit);
  }
}

/** `<provider>:<repo>:<number>` back to the pull request (a repository path holds no `:`). */
function pullOf(text: string): PullRef | undefined {
  const m = /^(github|gitlab):(.+):(\d+)$/.exec(text);
  return m ? { provider: m[1] as PullRef['provider'], repo: m[2]!, number: Number(m[3]) } : undefined;
}
