import { createReadStream } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import type { ObjectProblem } from '../../errors.js';
import { compareText } from '../compare-text.js';
import type { RenderBudget } from './limits.js';
import { isInside, relativePath } from './paths.js';
import { formatBytes } from './yaml.js';

/** What checkChartInputs looks at. */
export interface ChartInputs {
  /** Real path of the checkout. */
  root: string;
  /** The chart directory, relative to `root` with forward slashes ('.' for the root). */
  dir: string;
  /** Values files, relative to `root`. */
  valuesFiles: readonly string[];
  /** The render's budget: every file helm will load counts against it (archives by their unpacked size). */
  budget: RenderBudget;
  /** Hears of each file before it is read. */
  onFile?: (source: string) => void;
}

/**
 * Bytes a gzip archive unpacks to, reading no more than `max + 1` of them: an archive that would
 * unpack past `max` is stopped there (a zip bomb costs a few milliseconds). Undefined when the file
 * is not gzip data.
 */
export async function unpackedSize(file: string, max: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    let size = 0;
    const input = createReadStream(file);
    const gunzip = createGunzip();
    const done = (value: number | undefined) => {
      input.destroy();
      gunzip.destroy();
      resolve(value);
    };
    gunzip.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) done(size);
    });
    gunzip.on('end', () => done(size));
    gunzip.on('error', () => done(undefined));
    input.on('error', () => done(undefined));
    input.pipe(gunzip);
  });
}

/**
 * Checks, before helm runs, everything it will load: the chart folder (templates, values, `crds/`,
 * vendored `charts/` archives and folders, any other file a template may read with `.Files`) and
 * the values files. Helm follows symbolic links, so a link out of the checkout (to a service
 * account token, say) is refused, as is a missing `Chart.yaml` or values file, a file over
 * `maxFileBytes`, and a render over `maxTotalBytes`, counting an archive by what it unpacks to.
 * Returns every problem, each naming its file; empty when helm may run.
 */
export async function checkChartInputs(inputs: ChartInputs): Promise<ObjectProblem[]> {
  const { root, dir, budget } = inputs;
  const problems: ObjectProblem[] = [];
  const add = (file: string, message: string) => problems.push({ subject: file, file, message });
  const chartYaml = dir === '.' ? 'Chart.yaml' : `${dir}/Chart.yaml`;
  let overTotal = false;

  /** One regular file helm loads: within the budget, an archive by its unpacked size. */
  const countFile = async (absolute: string, source: string, size: number) => {
    inputs.onFile?.(source);
    const oversized = budget.oversized(source, size);
    if (oversized) return void problems.push(oversized);
    let bytes = size;
    if (/\.(tgz|tar\.gz)$/.test(source)) {
      const room = budget.limits.maxTotalBytes;
      const unpacked = await unpackedSize(absolute, room);
      if (unpacked === undefined) return void add(source, 'not a gzip archive (a chart archive in charts/ must be a .tgz made by helm package)');
      if (unpacked > room) return void add(source, `the archive unpacks to more than renderLimits.maxTotalBytes (${formatBytes(room)})`);
      bytes = unpacked;
    }
    const over = budget.count(source, bytes, 0);
    if (over) {
      overTotal = true;
      problems.push(over);
    }
  };

  const walk = async (absolute: string, ancestors: readonly string[]): Promise<void> => {
    const entries = await readdir(absolute, { withFileTypes: true });
    entries.sort((a, b) => compareText(a.name, b.name));
    for (const entry of entries) {
      if (overTotal) return;
      if (entry.name === '.git') continue;
      const child = path.join(absolute, entry.name);
      const source = relativePath(root, child);
      let real = child;
      if (entry.isSymbolicLink()) {
        try {
          real = await realpath(child);
        } catch {
          add(source, 'broken symbolic link');
          continue;
        }
        if (!isInside(root, real)) {
          add(source, 'symbolic link points outside the checkout (helm would read what it points to)');
          continue;
        }
      }
      const info = await stat(real);
      if (info.isDirectory()) {
        if (ancestors.includes(real)) {
          add(source, 'symbolic link loop');
          continue;
        }
        await walk(child, [...ancestors, real]);
      } else if (info.isFile()) {
        await countFile(real, source, info.size);
      } else {
        add(source, 'not a regular file or folder');
      }
    }
  };

  const chartDir = path.join(root, dir);
  try {
    const chart = await lstat(path.join(chartDir, 'Chart.yaml'));
    if (!chart.isFile() && !chart.isSymbolicLink()) add(chartYaml, 'Chart.yaml is not a file');
  } catch {
    add(chartYaml, 'render is helm but there is no Chart.yaml here');
    return problems;
  }
  const chartReal = await realpath(chartDir);
  await walk(chartDir, [chartReal]);

  for (const file of inputs.valuesFiles) {
    const absolute = path.join(root, file);
    // files of the chart are counted already
    const inChart = dir === '.' || file.startsWith(`${dir}/`);
    let real: string;
    try {
      real = await realpath(absolute);
    } catch {
      add(file, 'values file does not exist in this commit (targets[].helm.valuesFiles)');
      continue;
    }
    if (!isInside(root, real)) {
      add(file, 'values file is a symbolic link that points outside the checkout');
      continue;
    }
    const info = await stat(real);
    if (!info.isFile()) add(file, 'values file is not a file');
    else if (!inChart) await countFile(real, file, info.size);
  }
  return problems;
}
