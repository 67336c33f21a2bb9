import type { Redis } from 'ioredis';
import type { PullHold, PullRef } from '../model/pull.js';
import type { TargetSection } from '../model/pull-comment.js';
import type { Keys } from './keys.js';

export type { PullRef };

const keepSeconds = 30 * 24 * 3600;
const keepNotes = 5;

/**
 * What the pull-request workflow keeps between events: the parts of each PR comment (preview and
 * deploy per target, written separately so the web and the workers never overwrite each other),
 * and merge commits (so a merge's deploy reports to its PR). A pull request's hold on a target is
 * PullHoldStore's.
 */
export class PullStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async setPreview(pr: PullRef, target: string, preview: NonNullable<TargetSection['preview']>): Promise<void> {
    await this.setPart(pr, target, 'preview', preview);
  }

  async setDeploy(pr: PullRef, target: string, deploy: NonNullable<TargetSection['deploy']>): Promise<void> {
    await this.setPart(pr, target, 'deploy', deploy);
  }

  async addNote(pr: PullRef, target: string, note: string): Promise<void> {
    const key = this.keys.prNotes(pr.provider, pr.repo, pr.number, target);
    await this.redis.multi().rpush(key, note).ltrim(key, -keepNotes, -1).expire(key, keepSeconds).exec();
    await this.setPart(pr, target, 'seen', true);
  }

  /** Every target's section of the PR comment, with the lock each target is under. */
  async sections(pr: PullRef, locks: (target: string) => Promise<PullHold | undefined>): Promise<TargetSection[]> {
    const parts = await this.redis.hgetall(this.keys.prComment(pr.provider, pr.repo, pr.number));
    const targets = new Set(Object.keys(parts).map((f) => f.slice(0, f.lastIndexOf(':'))));
    const sections: TargetSection[] = [];
    for (const target of targets) {
      const read = <T>(part: string) => (parts[`${target}:${part}`] ? (JSON.parse(parts[`${target}:${part}`]!) as T) : undefined);
      const notes = await this.redis.lrange(this.keys.prNotes(pr.provider, pr.repo, pr.number, target), 0, -1);
      const lock = await locks(target);
      sections.push({
        target,
        preview: read('preview'),
        deploy: read('deploy'),
        notes: notes.length ? notes : undefined,
        lock: lock ? { pr: lock.pr, user: lock.user, at: lock.at } : undefined,
      });
    }
    return sections;
  }

  /** Remembers which pull request a merge commit came from, so its deploy reports there. */
  async rememberMerge(pr: PullRef, sha: string): Promise<void> {
    await this.redis.set(this.keys.mergeCommit(pr.provider, pr.repo, sha), String(pr.number), 'EX', keepSeconds);
  }

  async pullForMerge(provider: 'github' | 'gitlab', repo: string, sha: string): Promise<PullRef | undefined> {
    const n = await this.redis.get(this.keys.mergeCommit(provider, repo, sha));
    return n ? { provider, repo, number: Number(n) } : undefined;
  }

  private async setPart(pr: PullRef, target: string, part: string, value: unknown): Promise<void> {
    const key = this.keys.prComment(pr.provider, pr.repo, pr.number);
    await this.redis.multi().hset(key, `${target}:${part}`, JSON.stringify(value)).expire(key, keepSeconds).exec();
  }
}
