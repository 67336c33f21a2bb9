import os from 'node:os';
import { DriftlessError } from '../../errors.js';
import { runChild } from '../child-process.js';
import { sandboxEnv } from './sandbox.js';

/** The oldest Helm whose `helm template` has every flag Driftless passes (`--kube-version` with `--include-crds`, `--skip-tests`, `--api-versions`). */
export const HELM_MINIMUM = [3, 8, 0] as const;
/** The release the image ships and the tests run (scripts/helm). */
export const HELM_TESTED = 'v3.21.4';
const needed = `Helm v${HELM_MINIMUM.join('.')} or newer, below v4 (tested with ${HELM_TESTED})`;

/** `v3.21.4` → [3, 21, 4]; undefined when it is no version. */
export function parseHelmVersion(text: string): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

/** Why this helm version cannot render charts, or undefined when it can. */
export function helmVersionProblem(version: readonly number[]): string | undefined {
  const [major = 0, minor = 0, patch = 0] = version;
  if (major >= 4) return `Helm v${version.join('.')} is not supported yet: Driftless needs ${needed}`;
  const old = major < HELM_MINIMUM[0] || (major === HELM_MINIMUM[0] && (minor < HELM_MINIMUM[1] || (minor === HELM_MINIMUM[1] && patch < HELM_MINIMUM[2])));
  return old ? `Helm v${version.join('.')} is too old: Driftless needs ${needed}` : undefined;
}

const checked = new Map<string, Promise<string>>();

/**
 * Checks that `binary` (the `HELM` environment variable, default `helm` on the PATH) runs and is a
 * Helm Driftless can render with; resolves with its version (`v3.21.4`). Rejects with a
 * DriftlessError naming the version needed when helm is missing, does not answer, or is too old
 * or too new. The answer is kept per binary for the life of the process.
 */
export function checkHelm(binary: string): Promise<string> {
  let pending = checked.get(binary);
  if (!pending) {
    pending = probe(binary);
    checked.set(binary, pending);
    pending.catch(() => checked.delete(binary));
  }
  return pending;
}

async function probe(binary: string): Promise<string> {
  const result = await runChild(binary, ['version', '--template', '{{.Version}}'], { env: sandboxEnv(os.tmpdir()), timeoutMs: 10_000, maxOutputBytes: 4096 });
  if (result.outcome === 'not-started') {
    throw new DriftlessError(`cannot run helm (${binary}: ${result.error.code ?? result.error.message}): rendering charts needs ${needed}; install it or set HELM to its path`);
  }
  if (result.outcome !== 'exited' || result.code !== 0) {
    throw new DriftlessError(`helm (${binary}) did not say its version: rendering charts needs ${needed}${result.stderr ? `; it said: ${result.stderr.trim().slice(0, 200)}` : ''}`);
  }
  const version = parseHelmVersion(result.stdout);
  if (!version) throw new DriftlessError(`helm (${binary}) answered "${result.stdout.trim().slice(0, 80)}" to \`helm version\`: rendering charts needs ${needed}`);
  const problem = helmVersionProblem(version);
  if (problem) throw new DriftlessError(`${problem} (${binary})`);
  return `v${version.join('.')}`;
}
