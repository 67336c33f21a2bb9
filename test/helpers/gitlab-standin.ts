import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { OAuthServer } from './oauth-standin.js';
import { HttpError, listenOnLoopback, pageOf, RecordingServer, sameSecret, type Params, type RecordedRequest, type Route } from './recording-server.js';

export type { RecordedRequest } from './recording-server.js';

/**
 * A local stand-in for the GitLab REST API v4: the endpoints Driftless calls, with GitLab's
 * response shapes, status codes and pagination headers, state in memory, every request
 * recorded. Point the real gitbeaker client at `url` (it appends /api/v4 itself).
 */

/** Options of GitLabStandIn.start. */
export interface GitLabStandInOptions {
  /** When set, requests need `PRIVATE-TOKEN: <token>` (or `Authorization: Bearer <token>`). */
  token?: string;
  /** Username of the token's user (author of statuses, notes, deployments). */
  username?: string;
  /** Only projects added with addProject exist; by default a path is created on first use. */
  strictProjects?: boolean;
  /** Serve under a relative URL, like a self-managed instance at https://host/gitlab: `/gitlab`. */
  pathPrefix?: string;
}

/** GitLab access levels: no access, minimal, guest, reporter, developer, maintainer, owner. */
export type AccessLevel = 0 | 5 | 10 | 20 | 30 | 40 | 50;

export type CommitStatusState = 'created' | 'pending' | 'running' | 'success' | 'failed' | 'canceled' | 'skipped';

export type DeploymentStatus = 'created' | 'running' | 'success' | 'failed' | 'canceled' | 'blocked';

export interface GitLabUser {
  id: number;
  username: string;
  name: string;
  state: 'active';
  locked: boolean;
  avatar_url: string;
  web_url: string;
}

export interface CommitStatus {
  id: number;
  sha: string;
  ref: string;
  status: CommitStatusState;
  name: string;
  target_url: string | null;
  description: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  allow_failure: boolean;
  coverage: number | null;
  pipeline_id: number;
  author: GitLabUser;
}

export interface Note {
  id: number;
  type: null;
  body: string;
  attachment: null;
  author: GitLabUser;
  created_at: string;
  updated_at: string;
  system: boolean;
  noteable_id: number;
  noteable_type: 'MergeRequest';
  project_id: number;
  noteable_iid: number;
  resolvable: boolean;
  confidential: boolean;
  internal: boolean;
  imported: boolean;
  imported_from: string;
}

export interface AwardEmoji {
  id: number;
  name: string;
  user: GitLabUser;
  created_at: string;
  updated_at: string;
  awardable_id: number;
  awardable_type: 'Note';
  url: null;
}

export interface Environment {
  id: number;
  name: string;
  slug: string;
  external_url: string | null;
  created_at: string;
  updated_at: string;
  state: 'available' | 'stopped';
  tier: 'production' | 'staging' | 'testing' | 'development' | 'other';
  environment_type: string | null;
  description: string | null;
  auto_stop_at: string | null;
}

export interface Deployment {
  id: number;
  iid: number;
  ref: string;
  sha: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  status: DeploymentStatus;
  user: GitLabUser;
  environment: Environment;
  deployable: null;
}

/** A merge request as a test describes it to setMergeRequest. */
export interface MergeRequestInput {
  iid: number;
  title?: string;
  description?: string;
  state?: 'opened' | 'closed' | 'merged' | 'locked';
  /** Username of the author. */
  author?: string;
  sourceBranch: string;
  targetBranch: string;
  /** Head commit of the source branch. */
  sha: string;
  /** Path of the source project; another project than the target makes a fork MR. */
  sourceProject?: string;
  draft?: boolean;
  mergeCommitSha?: string | null;
}

interface StoredNote extends Note {
  mrIid: number;
}

interface ProjectState {
  id: number;
  path: string;
  defaultBranch: string;
  statuses: CommitStatus[];
  pipelines: Map<string, number>;
  mergeRequests: Map<number, MergeRequestInput & { id: number; createdAt: string }>;
  notes: Map<number, StoredNote>;
  awards: Map<number, AwardEmoji[]>;
  members: Map<number, { level: AccessLevel; since: string }>;
  environments: Map<number, Environment>;
  deployments: Map<number, Deployment>;
  nextDeploymentIid: number;
}

const notFound = (what?: string): HttpError => new HttpError(404, { message: what ? `404 ${what} Not Found` : '404 Not found' });
/** Grape's answer to missing or invalid parameters. */
const badParams = (error: string): HttpError => new HttpError(400, { error });

const STATUS_STATES: readonly string[] = ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'];
const DEPLOYMENT_STATES: readonly string[] = ['running', 'success', 'failed', 'canceled'];
const ACTIVE: readonly CommitStatusState[] = ['pending', 'running'];

/**
 * GitLab's commit status state machine (CommitStatus): event → states it may leave. A state
 * not listed answers 400 "Cannot transition status via :event from :state".
 */
const STATUS_EVENTS: Record<string, { from: readonly CommitStatusState[]; to: CommitStatusState }> = {
  enqueue: { from: ['created', 'skipped'], to: 'pending' },
  run: { from: ['pending'], to: 'running' },
  success: { from: ['created', 'pending', 'running'], to: 'success' },
  drop: { from: ['created', 'pending', 'running'], to: 'failed' },
  cancel: { from: ['created', 'pending', 'running'], to: 'canceled' },
  skip: { from: ['created', 'pending'], to: 'skipped' },
};

/** Events GitLab fires for a requested state; a `soft` event may fail silently. */
const EVENTS_FOR_STATE: Record<string, { event: string; soft?: boolean }[]> = {
  pending: [{ event: 'enqueue' }],
  running: [{ event: 'enqueue', soft: true }, { event: 'run' }],
  success: [{ event: 'success' }],
  failed: [{ event: 'drop' }],
  canceled: [{ event: 'cancel' }],
  skipped: [{ event: 'skip' }],
};

const DEPLOYMENT_EVENTS: Record<string, { event: string; from: readonly DeploymentStatus[] }> = {
  running: { event: 'run', from: ['created'] },
  success: { event: 'succeed', from: ['created', 'running', 'blocked'] },
  failed: { event: 'drop', from: ['created', 'running', 'blocked'] },
  canceled: { event: 'cancel', from: ['created', 'running', 'blocked'] },
};

const TERMINAL: readonly string[] = ['success', 'failed', 'canceled', 'skipped'];

const now = (): string => new Date().toISOString();

const isSha = (value: string): boolean => /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(value);

/** GitLab's guess of an environment's tier from its name. */
function tierOf(name: string): Environment['tier'] {
  if (/(prod|live)/i.test(name)) return 'production';
  if (/(stag|model|demo)/i.test(name)) return 'staging';
  if (/(test|tst|int|ac(ce|)pt|qa|qc|control|quality)/i.test(name)) return 'testing';
  if (/(dev|review|trunk)/i.test(name)) return 'development';
  return 'other';
}

function slugOf(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 24);
  const base = /^[a-z]/.test(slug) ? slug : `env-${slug}`;
  return base === name ? base : `${base.slice(0, 17)}-${createHash('sha256').update(name).digest('hex').slice(0, 6)}`;
}

interface Context {
  params: Params;
  query: Record<string, string>;
  /** Query and body parameters merged, as Grape does. */
  input: Record<string, unknown>;
  /** The project named by `:id`; throws 404 when there is none. */
  project: () => ProjectState;
  user: GitLabUser;
}

/** Reads a string parameter (or undefined); anything else is Grape's "is invalid". */
function stringParam(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw badParams(`${key} is invalid`);
}

function required(input: Record<string, unknown>, keys: readonly string[]): void {
  const missing = keys.filter((k) => input[k] === undefined || input[k] === null);
  if (missing.length > 0) throw badParams(missing.map((k) => `${k} is missing`).join(', '));
}

export class GitLabStandIn extends RecordingServer {
  private readonly projects = new Map<number, ProjectState>();
  private readonly projectPaths = new Map<string, number>();
  private readonly users = new Map<string, GitLabUser>();
  private readonly routes: Route<Context>[] = [];
  private nextId = 1001;
  private nextProjectId = 101;
  private readonly username: string;

  private constructor(
    server: http.Server,
    /** Base URL to give gitbeaker as `host`, e.g. http://127.0.0.1:40123 (plus pathPrefix) */
    url: string,
    private readonly token: string | undefined,
    username: string,
    private readonly strictProjects: boolean,
    private readonly pathPrefix: string,
  ) {
    super(server, url);
    this.username = username;
    this.defineRoutes();
  }

  static async start(options: GitLabStandInOptions = {}): Promise<GitLabStandIn> {
    const { server, url } = await listenOnLoopback();
    const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
    if (prefix !== '' && !/^\/[A-Za-z0-9._~/-]+$/.test(prefix)) throw new Error(`GitLabStandIn: bad pathPrefix ${prefix}`);
    return new GitLabStandIn(
      server,
      `${url}${prefix}`,
      options.token,
      options.username ?? 'driftless-bot',
      options.strictProjects ?? false,
      prefix,
    );
  }

  /** Creates a project (`group/sub/project`), optionally with a given id; returns its id. */
  addProject(path: string, options: { id?: number; defaultBranch?: string } = {}): number {
    const existing = this.projectPaths.get(path.toLowerCase());
    if (existing !== undefined) return existing;
    if (path.split('/').length < 2) throw new Error(`GitLabStandIn: expected group/project, got ${path}`);
    const id = options.id ?? this.nextProjectId++;
    if (this.projects.has(id)) throw new Error(`GitLabStandIn: project id ${id} is taken`);
    this.projects.set(id, {
      id,
      path,
      defaultBranch: options.defaultBranch ?? 'main',
      statuses: [],
      pipelines: new Map(),
      mergeRequests: new Map(),
      notes: new Map(),
      awards: new Map(),
      members: new Map(),
      environments: new Map(),
      deployments: new Map(),
      nextDeploymentIid: 1,
    });
    this.projectPaths.set(path.toLowerCase(), id);
    return id;
  }

  /** Gives `username` an access level on a project (0 removes the membership). */
  setAccess(path: string, username: string, level: AccessLevel): GitLabUser {
    const user = this.user(username);
    const project = this.projectByPath(path);
    if (level === 0) project.members.delete(user.id);
    else project.members.set(user.id, { level, since: now() });
    return user;
  }

  /** Defines (or replaces) a merge request of a project. */
  setMergeRequest(path: string, mr: MergeRequestInput): void {
    const project = this.projectByPath(path);
    const previous = project.mergeRequests.get(mr.iid);
    project.mergeRequests.set(mr.iid, { ...structuredClone(mr), id: previous?.id ?? this.id(), createdAt: previous?.createdAt ?? now() });
  }

  /** Adds a note by another user (e.g. a `/deploy` command), as if written on GitLab. */
  addNote(path: string, mrIid: number, body: string, username: string): Note {
    const project = this.projectByPath(path);
    return this.createNote(project, this.mergeRequest(project, mrIid), body, this.user(username));
  }

  /** A user of the instance, created on first use. */
  user(username: string): GitLabUser {
    const key = username.toLowerCase();
    let user = this.users.get(key);
    if (!user) {
      const id = this.id();
      user = {
        id,
        username,
        name: username,
        state: 'active',
        locked: false,
        avatar_url: `${this.url}/uploads/-/system/user/avatar/${id}/avatar.png`,
        web_url: `${this.url}/${username}`,
      };
      this.users.set(key, user);
    }
    return user;
  }

  /** Commit statuses of a sha, newest first (retried ones included). */
  statuses(path: string, sha: string): CommitStatus[] {
    return this.projectByPath(path)
      .statuses.filter((s) => s.sha === sha.toLowerCase())
      .reverse();
  }

  /** Notes of a merge request, oldest first. */
  notes(path: string, mrIid: number): Note[] {
    return [...this.projectByPath(path).notes.values()].filter((n) => n.mrIid === mrIid).map((n) => this.noteView(n));
  }

  /** Award emoji on a note. */
  awardEmoji(path: string, noteId: number): AwardEmoji[] {
    return [...(this.projectByPath(path).awards.get(noteId) ?? [])];
  }

  /** Deployments of a project, newest first. */
  deployments(path: string): Deployment[] {
    return [...this.projectByPath(path).deployments.values()].reverse().map((d) => structuredClone(d));
  }

  /** Environments of a project, in creation order. */
  environments(path: string): Environment[] {
    return [...this.projectByPath(path).environments.values()].map((e) => structuredClone(e));
  }

  private id(): number {
    return this.nextId++;
  }

  private projectByPath(path: string): ProjectState {
    const id = this.projectPaths.get(path.toLowerCase()) ?? this.addProject(path);
    const project = this.projects.get(id);
    if (!project) throw new Error(`GitLabStandIn: no project ${path}`);
    return project;
  }

  /** `:id` as GitLab reads it: a numeric id, or a URL-encoded full path. */
  private resolveProject(idOrPath: string): ProjectState {
    if (/^\d+$/.test(idOrPath)) {
      const project = this.projects.get(Number(idOrPath));
      if (!project) throw notFound('Project');
      return project;
    }
    const id = this.projectPaths.get(idOrPath.toLowerCase());
    if (id !== undefined) return this.projects.get(id) as ProjectState;
    if (this.strictProjects || idOrPath.split('/').length < 2) throw notFound('Project');
    return this.projects.get(this.addProject(idOrPath)) as ProjectState;
  }

  private mergeRequest(project: ProjectState, iid: number): MergeRequestInput & { id: number; createdAt: string } {
    const mr = project.mergeRequests.get(iid);
    if (!mr) throw notFound('Merge Request');
    return mr;
  }

  private projectView(project: ProjectState): Record<string, unknown> {
    const segments = project.path.split('/');
    const name = segments[segments.length - 1] ?? project.path;
    const namespace = segments.slice(0, -1).join('/');
    return {
      id: project.id,
      description: null,
      name,
      name_with_namespace: segments.join(' / '),
      path: name,
      path_with_namespace: project.path,
      created_at: now(),
      default_branch: project.defaultBranch,
      tag_list: [],
      topics: [],
      ssh_url_to_repo: `git@${new URL(this.url).host}:${project.path}.git`,
      http_url_to_repo: `${this.url}/${project.path}.git`,
      web_url: `${this.url}/${project.path}`,
      readme_url: null,
      avatar_url: null,
      forks_count: 0,
      star_count: 0,
      last_activity_at: now(),
      visibility: 'private',
      namespace: {
        id: 1,
        name: segments[segments.length - 2] ?? namespace,
        path: segments[segments.length - 2] ?? namespace,
        kind: 'group',
        full_path: namespace,
        parent_id: null,
        avatar_url: null,
        web_url: `${this.url}/groups/${namespace}`,
      },
    };
  }

  private mergeRequestView(project: ProjectState, mr: MergeRequestInput & { id: number; createdAt: string }): Record<string, unknown> {
    const source = mr.sourceProject ? this.projectByPath(mr.sourceProject) : project;
    const state = mr.state ?? 'opened';
    const author = this.user(mr.author ?? 'contributor');
    const at = now();
    return {
      id: mr.id,
      iid: mr.iid,
      project_id: project.id,
      title: mr.title ?? `Merge request ${mr.iid}`,
      description: mr.description ?? '',
      state,
      created_at: mr.createdAt,
      updated_at: at,
      merged_by: state === 'merged' ? author : null,
      merge_user: state === 'merged' ? author : null,
      merged_at: state === 'merged' ? at : null,
      closed_by: state === 'closed' ? author : null,
      closed_at: state === 'closed' ? at : null,
      target_branch: mr.targetBranch,
      source_branch: mr.sourceBranch,
      user_notes_count: [...project.notes.values()].filter((n) => n.mrIid === mr.iid && !n.system).length,
      upvotes: 0,
      downvotes: 0,
      author,
      assignees: [],
      assignee: null,
      reviewers: [],
      source_project_id: source.id,
      target_project_id: project.id,
      labels: [],
      draft: mr.draft ?? false,
      work_in_progress: mr.draft ?? false,
      milestone: null,
      merge_when_pipeline_succeeds: false,
      merge_status: 'can_be_merged',
      detailed_merge_status: state === 'opened' ? 'mergeable' : 'not_open',
      sha: mr.sha,
      merge_commit_sha: mr.mergeCommitSha ?? null,
      squash_commit_sha: null,
      discussion_locked: null,
      should_remove_source_branch: null,
      force_remove_source_branch: false,
      reference: `!${mr.iid}`,
      references: { short: `!${mr.iid}`, relative: `!${mr.iid}`, full: `${project.path}!${mr.iid}` },
      web_url: `${this.url}/${project.path}/-/merge_requests/${mr.iid}`,
      time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
      squash: false,
      task_completion_status: { count: 0, completed_count: 0 },
      has_conflicts: false,
      blocking_discussions_resolved: true,
      diff_refs: { base_sha: null, head_sha: mr.sha, start_sha: null },
    };
  }

  private createNote(project: ProjectState, mr: { id: number; iid: number }, body: string, author: GitLabUser): Note {
    const at = now();
    const note: StoredNote = {
      id: this.id(),
      type: null,
      body,
      attachment: null,
      author,
      created_at: at,
      updated_at: at,
      system: false,
      noteable_id: mr.id,
      noteable_type: 'MergeRequest',
      project_id: project.id,
      noteable_iid: mr.iid,
      resolvable: false,
      confidential: false,
      internal: false,
      imported: false,
      imported_from: 'none',
      mrIid: mr.iid,
    };
    project.notes.set(note.id, note);
    return this.noteView(note);
  }

  private noteView(note: StoredNote): Note {
    const { mrIid: _mrIid, ...view } = note;
    return structuredClone(view);
  }

  private pipelineId(project: ProjectState, sha: string, ref: string): number {
    const key = `${sha}@${ref}`;
    let id = project.pipelines.get(key);
    if (id === undefined) {
      id = this.id();
      project.pipelines.set(key, id);
    }
    return id;
  }

  /** Commit statuses that are not retried: the newest per name, ref and sha. */
  private latestStatuses(project: ProjectState, sha: string): CommitStatus[] {
    const latest = new Map<string, CommitStatus>();
    for (const s of project.statuses) if (s.sha === sha) latest.set(`${s.ref}\n${s.name}`, s);
    return [...latest.values()].sort((a, b) => a.id - b.id);
  }

  private transition(status: CommitStatus, state: string): void {
    for (const { event, soft } of EVENTS_FOR_STATE[state] ?? []) {
      const rule = STATUS_EVENTS[event];
      if (!rule) continue;
      if (!rule.from.includes(status.status)) {
        if (soft) continue;
        throw new HttpError(400, {
          message: `Cannot transition status via :${event} from :${status.status} (Reason(s): Status cannot transition via "${event}")`,
        });
      }
      status.status = rule.to;
      const at = now();
      if (rule.to === 'running') status.started_at = at;
      if (TERMINAL.includes(rule.to)) status.finished_at = at;
    }
  }

  private environment(project: ProjectState, name: string): Environment {
    for (const env of project.environments.values()) if (env.name === name) return env;
    const at = now();
    const env: Environment = {
      id: this.id(),
      name,
      slug: slugOf(name),
      external_url: null,
      created_at: at,
      updated_at: at,
      state: 'available',
      tier: tierOf(name),
      environment_type: name.includes('/') ? (name.split('/')[0] ?? null) : null,
      description: null,
      auto_stop_at: null,
    };
    project.environments.set(env.id, env);
    return env;
  }

  private setDeploymentStatus(deployment: Deployment, status: string): void {
    const rule = DEPLOYMENT_EVENTS[status];
    if (!rule) throw badParams('status does not have a valid value');
    if (!rule.from.includes(deployment.status)) {
      throw new HttpError(400, { message: `Cannot transition status via :${rule.event} from :${deployment.status}` });
    }
    const at = now();
    deployment.status = status as DeploymentStatus;
    deployment.updated_at = at;
    if (TERMINAL.includes(status)) deployment.finished_at = at;
  }

  private latestDeployment(project: ProjectState, env: Environment): Deployment | undefined {
    let latest: Deployment | undefined;
    for (const d of project.deployments.values()) {
      if (d.environment.id === env.id && d.status === 'success' && (!latest || d.id > latest.id)) latest = d;
    }
    return latest;
  }

  private environmentView(project: ProjectState, env: Environment, withLastDeployment: boolean): Record<string, unknown> {
    const view: Record<string, unknown> = { ...structuredClone(env) };
    if (withLastDeployment) {
      const last = this.latestDeployment(project, env);
      view.last_deployment = last ? structuredClone(last) : null;
    }
    return view;
  }

  /** Slices a list by per_page/page and sets GitLab's offset pagination headers. */
  private page<T>(items: T[], query: Record<string, string>, path: string): { status: number; body: T[]; headers: Record<string, string> } {
    const { perPage, page, pages: totalPages, slice } = pageOf(items, query, 20);
    const link = (n: number, rel: string): string => {
      const params = new URLSearchParams({ ...query, page: String(n), per_page: String(perPage) });
      return `<${this.url}${path}?${params.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'));
    if (page < totalPages) links.push(link(page + 1, 'next'));
    links.push(link(1, 'first'), link(totalPages, 'last'));
    return {
      status: 200,
      body: slice,
      headers: {
        link: links.join(', '),
        'x-page': String(page),
        'x-per-page': String(perPage),
        'x-total': String(items.length),
        'x-total-pages': String(totalPages),
        'x-next-page': page < totalPages ? String(page + 1) : '',
        'x-prev-page': page > 1 ? String(page - 1) : '',
      },
    };
  }

  private defineRoutes(): void {
    const add = (method: string, path: string, handler: Route<Context>['handler']): void => {
      this.routes.push({ method, pattern: new RegExp(`^/api/v4${path}/?$`), handler });
    };
    const P = '/projects/(?<id>[^/]+)';
    const MR = `${P}/merge_requests/(?<iid>\\d+)`;

    add('GET', '/user', ({ user }) => ({
      status: 200,
      body: { ...user, created_at: now(), bio: '', bot: true, is_admin: false, public_email: null },
    }));

    add('GET', '/users', ({ query }) => {
      const wanted = query.username?.toLowerCase();
      const list = [...this.users.values()].filter((u) => wanted === undefined || u.username.toLowerCase() === wanted);
      return this.page(list, query, '/api/v4/users');
    });

    add('GET', P, ({ project }) => ({ status: 200, body: this.projectView(project()) }));

    add('POST', `${P}/statuses/(?<sha>[^/]+)`, ({ params, input, project, user }) => {
      const p = project();
      const sha = (params.sha ?? '').toLowerCase();
      required(input, ['state']);
      const state = stringParam(input, 'state') ?? '';
      if (!STATUS_STATES.includes(state)) throw badParams('state does not have a valid value');
      if (!isSha(sha)) throw notFound('Commit');
      const description = stringParam(input, 'description') ?? null;
      if (description !== null && description.length > 255) {
        throw new HttpError(400, { message: { description: ['is too long (maximum is 255 characters)'] } });
      }
      const name = stringParam(input, 'name') ?? stringParam(input, 'context') ?? 'default';
      const ref = stringParam(input, 'ref') ?? p.defaultBranch;
      // GitLab updates the pending or running status of that name and ref, else starts a new one
      const existing = [...p.statuses].reverse().find((s) => s.sha === sha && s.ref === ref && s.name === name && ACTIVE.includes(s.status));
      const status: CommitStatus = existing
        ? structuredClone(existing)
        : {
            id: this.id(),
            sha,
            ref,
            status: 'created',
            name,
            target_url: null,
            description: null,
            created_at: now(),
            started_at: null,
            finished_at: null,
            allow_failure: false,
            coverage: null,
            pipeline_id: this.pipelineId(p, sha, ref),
            author: user,
          };
      this.transition(status, state);
      if (description !== null) status.description = description;
      const targetUrl = stringParam(input, 'target_url');
      if (targetUrl !== undefined) status.target_url = targetUrl;
      if (existing) Object.assign(existing, status);
      else p.statuses.push(status);
      return { status: 201, body: structuredClone(status) };
    });

    add('GET', `${P}/repository/commits/(?<sha>[^/]+)/statuses`, ({ params, query, project }) => {
      const p = project();
      const sha = (params.sha ?? '').toLowerCase();
      if (!isSha(sha)) throw notFound('Commit');
      const all = query.all === 'true';
      const list = (all ? p.statuses.filter((s) => s.sha === sha) : this.latestStatuses(p, sha)).filter(
        (s) => (query.ref === undefined || s.ref === query.ref) && (query.name === undefined || s.name === query.name),
      );
      return this.page(structuredClone(list), query, `/api/v4/projects/${encodeURIComponent(params.id ?? '')}/repository/commits/${sha}/statuses`);
    });

    add('GET', MR, ({ params, project }) => {
      const p = project();
      return { status: 200, body: this.mergeRequestView(p, this.mergeRequest(p, Number(params.iid))) };
    });

    add('GET', `${MR}/notes`, ({ params, query, project }) => {
      const p = project();
      const mr = this.mergeRequest(p, Number(params.iid));
      const key = query.order_by === 'updated_at' ? 'updated_at' : 'created_at';
      const direction = query.sort === 'asc' ? 1 : -1;
      const list = [...p.notes.values()]
        .filter((n) => n.mrIid === mr.iid)
        .sort((a, b) => direction * (a[key].localeCompare(b[key]) || a.id - b.id))
        .map((n) => this.noteView(n));
      return this.page(list, query, `/api/v4/projects/${encodeURIComponent(p.path)}/merge_requests/${mr.iid}/notes`);
    });

    add('POST', `${MR}/notes`, ({ params, input, project, user }) => {
      const p = project();
      const mr = this.mergeRequest(p, Number(params.iid));
      required(input, ['body']);
      const body = stringParam(input, 'body') ?? '';
      if (body.trim() === '') throw new HttpError(400, { message: { note: ["can't be blank"] } });
      if (body.length > 1_000_000) throw new HttpError(400, { message: { note: ['is too long (maximum is 1000000 characters)'] } });
      return { status: 201, body: this.createNote(p, mr, body, user) };
    });

    const noteOf = (p: ProjectState, params: Params): StoredNote => {
      const mr = this.mergeRequest(p, Number(params.iid));
      const note = p.notes.get(Number(params.note));
      if (!note || note.mrIid !== mr.iid) throw notFound('Note');
      return note;
    };

    add('GET', `${MR}/notes/(?<note>\\d+)`, ({ params, project }) => ({ status: 200, body: this.noteView(noteOf(project(), params)) }));

    add('PUT', `${MR}/notes/(?<note>\\d+)`, ({ params, input, project, user }) => {
      const note = noteOf(project(), params);
      if (note.author.id !== user.id) throw new HttpError(403, { message: '403 Forbidden' });
      const body = stringParam(input, 'body');
      if (body === undefined) throw badParams('body is missing');
      if (body.trim() === '') throw new HttpError(400, { message: { note: ["can't be blank"] } });
      if (body.length > 1_000_000) throw new HttpError(400, { message: { note: ['is too long (maximum is 1000000 characters)'] } });
      note.body = body;
      note.updated_at = now();
      return { status: 200, body: this.noteView(note) };
    });

    add('DELETE', `${MR}/notes/(?<note>\\d+)`, ({ params, project, user }) => {
      const p = project();
      const note = noteOf(p, params);
      if (note.author.id !== user.id) throw new HttpError(403, { message: '403 Forbidden' });
      p.notes.delete(note.id);
      return { status: 204, body: undefined };
    });

    add('GET', `${MR}/notes/(?<note>\\d+)/award_emoji`, ({ params, query, project }) => {
      const p = project();
      const note = noteOf(p, params);
      return this.page(structuredClone(p.awards.get(note.id) ?? []), query, `/api/v4/projects/${encodeURIComponent(params.id ?? '')}/merge_requests/${params.iid}/notes/${note.id}/award_emoji`);
    });

    add('POST', `${MR}/notes/(?<note>\\d+)/award_emoji`, ({ params, input, project, user }) => {
      const p = project();
      const note = noteOf(p, params);
      required(input, ['name']);
      const name = stringParam(input, 'name') ?? '';
      if (!/^[a-z0-9_+-]+$/.test(name)) throw notFound('Award Emoji Name is not a valid emoji name');
      const list = p.awards.get(note.id) ?? [];
      // GitLab answers a repeated award with 404, not with the existing one
      if (list.some((a) => a.name === name && a.user.id === user.id)) throw notFound('Award Emoji Name has already been taken');
      const at = now();
      const award: AwardEmoji = { id: this.id(), name, user, created_at: at, updated_at: at, awardable_id: note.id, awardable_type: 'Note', url: null };
      list.push(award);
      p.awards.set(note.id, list);
      return { status: 201, body: structuredClone(award) };
    });

    add('GET', `${P}/members/all/(?<user>\\d+)`, ({ params, project }) => {
      const p = project();
      const userId = Number(params.user);
      const member = p.members.get(userId);
      const user = [...this.users.values()].find((u) => u.id === userId);
      if (!member || !user) throw notFound();
      return {
        status: 200,
        body: {
          ...user,
          access_level: member.level,
          created_at: member.since,
          expires_at: null,
          group_saml_identity: null,
          membership_state: 'active',
        },
      };
    });

    add('POST', `${P}/deployments`, ({ input, project, user }) => {
      const p = project();
      required(input, ['environment', 'sha', 'ref', 'tag', 'status']);
      const environment = stringParam(input, 'environment') ?? '';
      const sha = (stringParam(input, 'sha') ?? '').toLowerCase();
      const ref = stringParam(input, 'ref') ?? '';
      const tag = input.tag;
      if (typeof tag !== 'boolean' && tag !== 'true' && tag !== 'false') throw badParams('tag is invalid');
      const status = stringParam(input, 'status') ?? '';
      if (!DEPLOYMENT_STATES.includes(status)) throw badParams('status does not have a valid value');
      if (!isSha(sha)) throw new HttpError(400, { message: { sha: ['is invalid'] } });
      if (environment === '' || !/^[a-zA-Z0-9 \-_/.${}]+$/.test(environment)) {
        throw new HttpError(400, { message: { environment: ["can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', and spaces"] } });
      }
      const env = this.environment(p, environment);
      const at = now();
      const deployment: Deployment = {
        id: this.id(),
        iid: p.nextDeploymentIid++,
        ref,
        sha,
        created_at: at,
        updated_at: at,
        finished_at: null,
        status: 'created',
        user,
        environment: env,
        deployable: null,
      };
      this.setDeploymentStatus(deployment, status);
      p.deployments.set(deployment.id, deployment);
      env.updated_at = at;
      return { status: 201, body: structuredClone(deployment) };
    });

    add('GET', `${P}/deployments`, ({ params, query, project }) => {
      const p = project();
      const orderBy = query.order_by ?? 'id';
      if (!['id', 'iid', 'created_at', 'updated_at', 'finished_at', 'ref'].includes(orderBy)) throw badParams('order_by does not have a valid value');
      const direction = query.sort === 'desc' ? -1 : 1;
      const value = (d: Deployment): string | number => (orderBy === 'id' || orderBy === 'iid' ? d[orderBy] : (d[orderBy as 'ref'] ?? ''));
      const list = [...p.deployments.values()]
        .filter((d) => (query.environment === undefined || d.environment.name === query.environment) && (query.status === undefined || d.status === query.status))
        .sort((a, b) => {
          const x = value(a);
          const y = value(b);
          return direction * (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y)) || a.id - b.id);
        });
      return this.page(structuredClone(list), query, `/api/v4/projects/${encodeURIComponent(params.id ?? '')}/deployments`);
    });

    add('GET', `${P}/deployments/(?<deployment>\\d+)`, ({ params, project }) => {
      const deployment = project().deployments.get(Number(params.deployment));
      if (!deployment) throw notFound();
      return { status: 200, body: structuredClone(deployment) };
    });

    add('PUT', `${P}/deployments/(?<deployment>\\d+)`, ({ params, input, project }) => {
      const deployment = project().deployments.get(Number(params.deployment));
      if (!deployment) throw notFound();
      required(input, ['status']);
      this.setDeploymentStatus(deployment, stringParam(input, 'status') ?? '');
      deployment.environment.updated_at = deployment.updated_at;
      return { status: 200, body: structuredClone(deployment) };
    });

    add('GET', `${P}/environments`, ({ params, query, project }) => {
      const p = project();
      const states = query.states;
      const list = [...p.environments.values()]
        .filter(
          (e) =>
            (query.name === undefined || e.name === query.name) &&
            (query.search === undefined || e.name.includes(query.search)) &&
            (states === undefined || e.state === states),
        )
        .map((e) => this.environmentView(p, e, false));
      return this.page(list, query, `/api/v4/projects/${encodeURIComponent(params.id ?? '')}/environments`);
    });

    add('GET', `${P}/environments/(?<environment>\\d+)`, ({ params, project }) => {
      const p = project();
      const env = p.environments.get(Number(params.environment));
      if (!env) throw notFound('Environment');
      return { status: 200, body: this.environmentView(p, env, true) };
    });
  }

  /** GitLab as an OAuth 2 provider (https://docs.gitlab.com/api/oauth2/): `/oauth/authorize`, `/oauth/token`; its tokens are users' for `GET /api/v4/user`. */
  readonly oauth = new OAuthServer('glpat-oauth-');

  /** The person an OAuth access token in `Authorization: Bearer` belongs to. */
  private oauthPerson(headers: http.IncomingHttpHeaders): string | undefined {
    return this.oauth.loginOf(/^bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1] ?? '');
  }

  /** The OAuth endpoints, under the instance's path prefix; false for any other request. */
  private oauthRoute(entry: RecordedRequest, res: http.ServerResponse): boolean {
    if (entry.method === 'GET' && entry.path === `${this.pathPrefix}/oauth/authorize`) {
      const answer = this.oauth.authorize(entry.query);
      if ('location' in answer) this.redirect(res, answer.location);
      else this.send(res, answer.status, answer.body);
      return true;
    }
    if (entry.method === 'POST' && entry.path === `${this.pathPrefix}/oauth/token`) {
      const body = entry.body !== null && typeof entry.body === 'object' ? (entry.body as Record<string, unknown>) : {};
      const answer = this.oauth.exchange({ ...entry.query, ...body });
      if ('token' in answer) this.send(res, 200, { access_token: answer.token, token_type: 'Bearer', expires_in: 7200, refresh_token: randomBytes(16).toString('hex'), scope: 'read_user', created_at: Math.floor(Date.now() / 1000) });
      else this.send(res, answer.status, { error: answer.error, error_description: answer.description });
      return true;
    }
    return false;
  }

  private authorized(headers: http.IncomingHttpHeaders): boolean {
    if (this.token === undefined) return true;
    if (this.oauthPerson(headers) !== undefined) return true;
    const privateToken = headers['private-token'];
    const bearer = /^bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
    const given = (Array.isArray(privateToken) ? privateToken[0] : privateToken) ?? bearer;
    if (!given) return false;
    return sameSecret(given, this.token);
  }

  protected override commonHeaders(body: unknown): Record<string, string> {
    return {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      'x-request-id': `standin-${this.requests.length}`,
      'x-runtime': '0.010',
      'cache-control': 'max-age=0, private, must-revalidate',
    };
  }

  protected override parseBody(raw: string, headers: http.IncomingHttpHeaders): unknown {
    if ((headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
    return JSON.parse(raw);
  }

  protected override badBodyAnswer(): unknown {
    return { error: 'The provided content-type is not supported or the body is not valid JSON' };
  }

  protected override failureBody(status: number): unknown {
    return { message: `${status} ${http.STATUS_CODES[status] ?? 'Error'}` };
  }

  protected override errorBody(error: unknown): unknown {
    return { message: `500 Internal Server Error: ${String(error)}` };
  }

  protected override answer(entry: RecordedRequest, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.oauthRoute(entry, res)) return;
    if (!this.authorized(req.headers)) {
      this.send(res, 401, { message: '401 Unauthorized' });
      return;
    }

    const routed = entry.path.startsWith(`${this.pathPrefix}/`) ? entry.path.slice(this.pathPrefix.length) : undefined;
    const answered =
      routed !== undefined &&
      this.route(res, this.routes, entry, routed, (params, body) => ({
        params,
        query: entry.query,
        input: { ...entry.query, ...body },
        project: () => this.resolveProject(params.id ?? ''),
        user: this.user(this.oauthPerson(req.headers) ?? this.username),
      }));
    if (!answered) this.send(res, 404, { error: '404 Not Found' });
  }
}
