import path from 'node:path';
import { runProcess } from './process.js';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * The pinned Helm (scripts/helm: v3.21.4 from the Go module proxy, built into ~/.cache/driftless
 * on first use), also set as `HELM` for this test file so Driftless renders charts with it.
 */
export async function pinnedHelm(): Promise<string> {
  const built = await runProcess(path.join(root, 'scripts', 'helm'), ['--path'], { cwd: root, timeoutMs: 20 * 60_000 });
  if (built.code !== 0) throw new Error(`scripts/helm could not build Helm:\n${built.stderr}`);
  const binary = built.stdout.trim();
  process.env.HELM = binary;
  return binary;
}

/** `Chart.yaml` of a chart named `name`, at `version`, with optional extra lines (`kubeVersion: ...`, `dependencies: ...`). */
export const chartYaml = (name: string, version = '0.1.0', extra = ''): string => `apiVersion: v2\nname: ${name}\nversion: ${version}\ntype: application\n${extra}`;

/** A ConfigMap template whose data comes from `.Values` (key `greeting`) and the release. */
export const configMapTemplate = (name: string): string =>
  [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    `  name: {{ .Release.Name }}-${name}`,
    'data:',
    '  greeting: {{ .Values.greeting | quote }}',
    '  namespace: {{ .Release.Namespace | quote }}',
    '',
  ].join('\n');
