import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HelmRepositoryConfig } from '../../config/helm.js';
import { DriftlessError, ManifestError } from '../../errors.js';
import type { ObjectProblem } from '../../errors.js';
import { isInside } from './paths.js';
import { formatBytes, parseDocuments } from './yaml.js';

/** Where chart archives are cached, by the sha256 of their bytes, and what bounds a download. */
export interface DependencySources {
  /** Repositories dependencies may come from: nothing else is ever contacted. */
  repositories: readonly HelmRepositoryConfig[];
  /** Folder of the archive cache (`<git.cacheDir>/helm-charts`), shared by every target. */
  cacheDir: string;
  /** Largest archive, in bytes (`renderLimits.maxFileBytes`). */
  maxArchiveBytes: number;
  /** Largest repository index, in bytes. */
  maxIndexBytes: number;
  /** When every download must be over, in epoch milliseconds. */
  deadline: number;
}

/** One entry of `dependencies:` in Chart.yaml, with the version Chart.lock pins. */
interface Dependency {
  name: string;
  version: string;
  repository: string;
}

/** Bytes as fetched, or a problem to report on the chart. */
type Fetched = { bytes: Buffer } | { problem: string };
/** An archive and the sha256 it is cached under, or a problem to report on the chart. */
export type FetchedChart = { bytes: Buffer; digest: string } | { problem: string };

export const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const HELM_CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

function readYaml(text: string, file: string, maxBytes: number): { doc: Record<string, unknown> } | { problem: ObjectProblem } {
  const parsed = parseDocuments(text, file, maxBytes);
  if ('problem' in parsed) return { problem: parsed.problem };
  const [doc] = parsed.documents;
  return { doc: typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {} };
}

function dependencyList(doc: Record<string, unknown>): Dependency[] {
  const list = Array.isArray(doc.dependencies) ? (doc.dependencies as Record<string, unknown>[]) : [];
  return list
    .filter((d) => typeof d === 'object' && d !== null && typeof d.name === 'string')
    .map((d) => ({ name: d.name as string, version: String(d.version ?? ''), repository: typeof d.repository === 'string' ? d.repository.replace(/\/+$/, '') : '' }));
}

/** The configured repository a dependency's `repository:` names, compared without trailing slashes. */
function configuredRepository(url: string, repositories: readonly HelmRepositoryConfig[]): HelmRepositoryConfig | undefined {
  return repositories.find((r) => r.url === url);
}

/** The repository's credentials, for requests to its own origin only (as helm without --pass-credentials). */
function authHeaders(repository: HelmRepositoryConfig, target: URL): Record<string, string> {
  const origin = new URL(repository.url.replace(/^oci:/, 'https:')).host;
  if (target.host !== origin) return {};
  if (repository.token) return { authorization: `Bearer ${repository.token}` };
  if (repository.username && repository.password) return { authorization: `Basic ${Buffer.from(`${repository.username}:${repository.password}`).toString('base64')}` };
  return {};
}

/** GETs `url`, reading at most `maxBytes` of its body; a status other than 200 or a larger body is a problem. */
async function download(url: URL, headers: Record<string, string>, maxBytes: number, deadline: number, what: string): Promise<Fetched> {
  let res: Response;
  try {
    res = await fetch(url, { headers, redirect: 'error', signal: AbortSignal.timeout(Math.max(deadline - Date.now(), 1)) });
  } catch (err) {
    // the repository is down or slow: worth retrying, not the commit's fault
    throw new DriftlessError(`cannot fetch ${what} from ${url.origin}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (res.status >= 500 || res.status === 429) throw new DriftlessError(`fetching ${what} from ${url.origin}: HTTP ${res.status}`);
  if (res.status !== 200) {
    await res.body?.cancel();
    return { problem: `${what}: ${url.origin}${url.pathname} answered HTTP ${res.status}${res.status === 401 || res.status === 403 ? ' (check the repository credentials in targets[].helm.repositories)' : ''}` };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += (chunk as Uint8Array).length;
    if (size > maxBytes) {
      await res.body?.cancel();
      return { problem: `${what} is larger than ${formatBytes(maxBytes)}` };
    }
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return { bytes: Buffer.concat(chunks) };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A cached archive by its digest, or undefined. */
async function cached(cacheDir: string, digest: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path.join(cacheDir, `sha256-${digest}.tgz`));
  } catch {
    return undefined;
  }
}

/** Writes an archive into the cache under its digest, atomically (another worker may write the same one). */
async function remember(cacheDir: string, digest: string, bytes: Buffer): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  const temp = path.join(cacheDir, `.sha256-${digest}.${process.pid}.${Date.now()}`);
  await writeFile(temp, bytes);
  await rename(temp, path.join(cacheDir, `sha256-${digest}.tgz`));
}

/**
 * An archive from an HTTP chart repository: the entry of `index.yaml` for this name and exact
 * version, its first URL (relative to the repository, or absolute), checked against the index's
 * digest. A cached archive with that digest is used without downloading it.
 */
async function fromHttpRepository(dep: Dependency, repository: HelmRepositoryConfig, sources: DependencySources): Promise<FetchedChart> {
  const indexUrl = new URL(`${repository.url}/index.yaml`);
  const index = await download(indexUrl, authHeaders(repository, indexUrl), sources.maxIndexBytes, sources.deadline, `the index of ${repository.url}`);
  if ('problem' in index) return index;
  const read = readYaml(index.bytes.toString('utf8'), `${repository.url}/index.yaml`, sources.maxIndexBytes);
  if ('problem' in read) return { problem: `the index of ${repository.url} is not valid: ${read.problem.message}` };
  const entries = (read.doc.entries as Record<string, { version?: unknown; urls?: unknown; digest?: unknown }[]> | undefined)?.[dep.name] ?? [];
  const entry = entries.find((e) => String(e.version).replace(/^v/, '') === dep.version.replace(/^v/, ''));
  if (!entry) return { problem: `${repository.url} has no chart ${dep.name} at version ${dep.version}` };
  const first = Array.isArray(entry.urls) ? entry.urls[0] : undefined;
  if (typeof first !== 'string') return { problem: `${repository.url}/index.yaml lists no URL for ${dep.name} ${dep.version}` };
  const digest = typeof entry.digest === 'string' && /^[0-9a-f]{64}$/.test(entry.digest) ? entry.digest : undefined;
  if (digest) {
    const hit = await cached(sources.cacheDir, digest);
    if (hit) return { bytes: hit, digest };
  }
  const archiveUrl = new URL(first, `${repository.url}/`);
  if (archiveUrl.protocol !== 'https:' && archiveUrl.protocol !== 'http:') return { problem: `${repository.url}/index.yaml points ${dep.name} at ${archiveUrl.protocol} URL` };
  const archive = await download(archiveUrl, authHeaders(repository, archiveUrl), sources.maxArchiveBytes, sources.deadline, `${dep.name} ${dep.version}`);
  if ('problem' in archive) return archive;
  const actual = sha256(archive.bytes);
  if (digest && actual !== digest) return { problem: `${dep.name} ${dep.version} from ${archiveUrl.origin} has digest sha256:${actual}, not the index's sha256:${digest}` };
  await remember(sources.cacheDir, actual, archive.bytes);
  return { bytes: archive.bytes, digest: actual };
}

/**
 * An archive from an OCI registry (`oci://host/path` + `/<name>:<version>`), by the registry
 * API: the manifest, then its Helm chart layer, checked against the layer's digest; the layer
 * is looked up in the cache by that digest first. Basic credentials and tokens go as they are
 * (registries with a token service answer 401 with a realm; that exchange is not done here).
 */
async function fromOciRegistry(dep: Dependency, repository: HelmRepositoryConfig, sources: DependencySources): Promise<FetchedChart> {
  const base = new URL(repository.url.replace(/^oci:/, 'https:'));
  const plain = base.hostname === '127.0.0.1' || base.hostname === 'localhost';
  // a registry on the loopback interface speaks plain HTTP (helm's --plain-http), any other HTTPS
  const registry = `${plain ? 'http' : 'https'}://${base.host}`;
  const name = `${base.pathname.replace(/^\/+|\/+$/g, '')}/${dep.name}`.replace(/^\//, '');
  const manifestUrl = new URL(`${registry}/v2/${name}/manifests/${encodeURIComponent(dep.version)}`);
  const headers = { ...authHeaders(repository, base), accept: 'application/vnd.oci.image.manifest.v1+json' };
  const manifest = await download(manifestUrl, headers, 1024 * 1024, sources.deadline, `the manifest of ${dep.name}:${dep.version}`);
  if ('problem' in manifest) return manifest;
  let layers: { mediaType?: string; digest?: string; size?: number }[] = [];
  try {
    layers = (JSON.parse(manifest.bytes.toString('utf8')) as { layers?: typeof layers }).layers ?? [];
  } catch {
    return { problem: `the manifest of ${dep.name}:${dep.version} in ${repository.url} is not JSON` };
  }
  const layer = layers.find((l) => l.mediaType === HELM_CHART_LAYER);
  const digest = /^sha256:([0-9a-f]{64})$/.exec(layer?.digest ?? '')?.[1];
  if (!layer || !digest) return { problem: `${repository.url}/${dep.name}:${dep.version} is not a Helm chart (no ${HELM_CHART_LAYER} layer)` };
  const hit = await cached(sources.cacheDir, digest);
  if (hit) return { bytes: hit, digest };
  const blob = await download(new URL(`${registry}/v2/${name}/blobs/sha256:${digest}`), authHeaders(repository, base), sources.maxArchiveBytes, sources.deadline, `${dep.name} ${dep.version}`);
  if ('problem' in blob) return blob;
  if (sha256(blob.bytes) !== digest) return { problem: `${dep.name} ${dep.version} from ${repository.url} does not match its digest sha256:${digest}` };
  await remember(sources.cacheDir, digest, blob.bytes);
  return { bytes: blob.bytes, digest };
}

/**
 * One chart at an exact version from a configured repository (HTTP index or OCI registry),
 * from the digest cache when it is there: its archive bytes and sha256, or a problem for the
 * chart's file. A repository that cannot be reached rejects (a retried DriftlessError).
 */
export function fetchChart(chart: { name: string; version: string }, repository: HelmRepositoryConfig, sources: DependencySources): Promise<FetchedChart> {
  const dep = { ...chart, repository: repository.url };
  return repository.url.startsWith('oci://') ? fromOciRegistry(dep, repository, sources) : fromHttpRepository(dep, repository, sources);
}

/** Whether `charts/` already holds the dependency: a folder of that name or an archive `<name>-<version>.tgz`. */
function vendored(present: readonly string[], dep: Dependency): boolean {
  return present.includes(dep.name) || present.includes(`${dep.name}-${dep.version}.tgz`) || present.includes(`${dep.name}-${dep.version.replace(/^v/, '')}.tgz`);
}

/**
 * Makes a chart's dependencies present in its `charts/` folder before helm runs, the way
 * `helm dependency build` would, but only from the repositories the configuration lists. A
 * dependency already vendored in `charts/` is used as it is (offline). Any other must have an
 * exact version (from `Chart.lock`, else `Chart.yaml`) and a `repository:` that is one of
 * `sources.repositories`: an HTTP chart repository (index.yaml, archive checked against the
 * index's digest) or an OCI registry (`oci://`). Archives are cached by sha256, so a chart is
 * downloaded once per digest. What the chart gets wrong (an unlisted or missing repository, a
 * version range, a chart the repository does not have, a digest mismatch) is a ManifestError on
 * `Chart.yaml`/`Chart.lock`; a repository that cannot be reached is a retried DriftlessError.
 * `root` and `dir` as for renderHelm. Returns the archives written, as repository paths.
 */
export async function vendorDependencies(root: string, dir: string, sources: DependencySources): Promise<string[]> {
  const rel = (file: string) => (dir === '.' ? file : `${dir}/${file}`);
  const chartDir = path.join(root, dir);
  const chartYaml = readYaml(await readFile(path.join(chartDir, 'Chart.yaml'), 'utf8'), rel('Chart.yaml'), sources.maxArchiveBytes);
  if ('problem' in chartYaml) throw new ManifestError('render', [chartYaml.problem]);
  const declared = dependencyList(chartYaml.doc);
  if (declared.length === 0) return [];

  let lockFile: string | undefined = rel('Chart.lock');
  let locked: Dependency[] = [];
  try {
    const lock = readYaml(await readFile(path.join(chartDir, 'Chart.lock'), 'utf8'), lockFile, sources.maxArchiveBytes);
    if ('problem' in lock) throw new ManifestError('render', [lock.problem]);
    locked = dependencyList(lock.doc);
  } catch (err) {
    if (err instanceof ManifestError) throw err;
    lockFile = undefined;
  }

  const chartsDir = path.join(chartDir, 'charts');
  let present: string[] = [];
  try {
    present = await readdir(chartsDir);
  } catch {
    // no charts/ folder yet
  }
  const problems: ObjectProblem[] = [];
  const written: string[] = [];
  for (const dep of declared) {
    const pinned = locked.find((l) => l.name === dep.name && l.repository === dep.repository);
    const version = pinned?.version ?? dep.version;
    const file = pinned ? lockFile! : rel('Chart.yaml');
    const problem = (message: string) => problems.push({ subject: file, file, message: `dependency ${dep.name}: ${message}` });
    const wanted = { ...dep, version };
    if (vendored(present, wanted) || vendored(present, dep)) continue;
    if (!dep.repository || dep.repository.startsWith('file://')) {
      problem(`not in charts/; vendor it there${dep.repository ? ` (${dep.repository} is not read)` : ''}`);
      continue;
    }
    const repository = configuredRepository(dep.repository, sources.repositories);
    if (!repository) {
      problem(`${dep.repository} is not one of targets[].helm.repositories (charts come only from repositories the configuration lists)`);
      continue;
    }
    if (!EXACT_VERSION.test(version)) {
      problem(`version "${version}" is a range; run helm dependency update and commit Chart.lock, so that what a commit renders never changes without a commit`);
      continue;
    }
    const fetched = await fetchChart(wanted, repository, sources);
    if ('problem' in fetched) {
      problem(fetched.problem);
      continue;
    }
    await mkdir(chartsDir, { recursive: true });
    const chartsReal = await realpath(chartsDir);
    if (!isInside(await realpath(root), chartsReal)) {
      problem('charts/ is a symbolic link that points outside the checkout');
      continue;
    }
    const target = path.join(chartsReal, `${dep.name}-${version.replace(/^v/, '')}.tgz`);
    await writeFile(target, fetched.bytes);
    written.push(rel(`charts/${path.basename(target)}`));
  }
  if (problems.length > 0) throw new ManifestError('render', problems);
  return written;
}
