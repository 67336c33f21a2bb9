import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { PermissionLevel } from '../model/permission.js';

/** A person signed in to the dashboard through their Git host. */
export interface Session {
  /** The host they signed in with; their permission is read from it, per repository. */
  provider: 'github' | 'gitlab';
  /** GitHub login or GitLab username: who actions are recorded as. */
  login: string;
  /** Display name, when the host has one. */
  name?: string;
  /** The token forms and action requests must echo (synchronizer token pattern). */
  csrf: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** An OAuth sign-in under way: what the callback checks (`state`) and proves (PKCE `verifier`). */
export interface PendingSignIn {
  provider: 'github' | 'gitlab';
  /** The PKCE code verifier (RFC 7636) whose S256 challenge went to the host. */
  verifier: string;
  /** Where to go once signed in: a path under /ui. */
  returnTo: string;
}

/** Sessions are stored under the hash of their cookie: a dump of Redis holds no usable cookie. */
const digest = (id: string) => createHash('sha256').update(id).digest('hex');

/** How long a sign-in may take between leaving for the host and coming back. */
const signInSeconds = 600;

/**
 * Dashboard sessions in Redis, under `<prefix>:session:<sha256 of the cookie>`, expiring on their
 * own; and OAuth sign-ins under way, under `<prefix>:oauth:<sha256 of state>`, used once. A
 * person's permission per repository is cached beside the session for `permissionTtl`.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:session:${digest(id)}`;
  }

  /** Starts a session; returns the id, the cookie's value (256 random bits). */
  async create(person: Pick<Session, 'provider' | 'login' | 'name'>, ttlMs: number): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const session: Session = { ...person, csrf: randomBytes(32).toString('base64url'), createdAt: now, expiresAt: now + ttlMs };
    await this.redis.set(this.key(id), JSON.stringify(session), 'PX', ttlMs);
    return { id, session };
  }

  /** The live session of a cookie value, if any. */
  async get(id: string): Promise<Session | undefined> {
    const raw = await this.redis.get(this.key(id));
    return raw ? (JSON.parse(raw) as Session) : undefined;
  }

  /** Ends a session and forgets its cached permissions. */
  async destroy(id: string): Promise<void> {
    await this.redis.del(this.key(id), `${this.key(id)}:permissions`);
  }

  /** The permission the host reported for this session's person on `repo` (a repo spec), if still fresh. */
  async permission(id: string, repo: string): Promise<PermissionLevel | 'none' | undefined> {
    const raw = await this.redis.hget(`${this.key(id)}:permissions`, repo);
    if (!raw) return undefined;
    const { level, until } = JSON.parse(raw) as { level: PermissionLevel | 'none'; until: number };
    return until > Date.now() ? level : undefined;
  }

  /** Remembers the host's answer for `ttlMs`; the cache goes with the session. */
  async rememberPermission(id: string, repo: string, level: PermissionLevel | 'none', ttlMs: number, sessionExpiresAt: number): Promise<void> {
    const key = `${this.key(id)}:permissions`;
    await this.redis.multi().hset(key, repo, JSON.stringify({ level, until: Date.now() + ttlMs })).pexpireat(key, sessionExpiresAt).exec();
  }

  /** Records a sign-in leaving for the host; returns its `state` (256 random bits). */
  async beginSignIn(pending: PendingSignIn): Promise<string> {
    const state = randomBytes(32).toString('base64url');
    await this.redis.set(`${this.prefix}:oauth:${digest(state)}`, JSON.stringify(pending), 'EX', signInSeconds);
    return state;
  }

  /** The sign-in `state` names, once: a replayed callback finds nothing. */
  async finishSignIn(state: string): Promise<PendingSignIn | undefined> {
    const raw = await this.redis.getdel(`${this.prefix}:oauth:${digest(state)}`);
    return raw ? (JSON.parse(raw) as PendingSignIn) : undefined;
  }
}
