import * as yaml from 'js-yaml';
import { kindNames, revAnnotation, setLabel, type KindName } from './kube.js';

/** One object of a bench set, as a file in a repository. */
export interface SetFile {
  file: string;
  kind: KindName;
  name: string;
  namespace?: string;
  object: Record<string, unknown>;
}

/**
 * `count` objects, ConfigMaps, Services, Deployments and ServiceAccounts in turn, one file
 * each (the shape of a real deploy folder). `rev` goes into an annotation (and the ConfigMap
 * data), so every object changes from one revision to the next. Services are headless: the test
 * API server's service range holds 254 addresses, fewer than the bench creates. `replicas: 0`
 * keeps a Deployment's rollout to the controller's bookkeeping (no Pods for the scheduler and
 * kwok to run), for the 1,000-object rows whose subject is the deployer, not the rollout.
 */
export function objectSet(options: { count: number; set: string; rev: string; dir: string; namespaces?: readonly string[]; replicas?: number }): SetFile[] {
  const files: SetFile[] = [];
  const namespaces = options.namespaces ?? [undefined];
  for (let i = 0; i < options.count; i++) {
    const kind = kindNames[i % kindNames.length]!;
    const namespace = namespaces[i % namespaces.length];
    const name = `${kind.toLowerCase()}-${String(i).padStart(4, '0')}`;
    const metadata: Record<string, unknown> = {
      name,
      ...(namespace ? { namespace } : {}),
      labels: { [setLabel]: options.set, app: name },
      annotations: { [revAnnotation]: options.rev },
    };
    let object: Record<string, unknown>;
    switch (kind) {
      case 'ConfigMap':
        object = { apiVersion: 'v1', kind, metadata, data: { rev: options.rev, 'app.properties': `name=${name}\nlevel=info\n` } };
        break;
      case 'Service':
        object = { apiVersion: 'v1', kind, metadata, spec: { clusterIP: 'None', selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
        break;
      case 'Deployment':
        object = {
          apiVersion: 'apps/v1',
          kind,
          metadata,
          spec: {
            replicas: options.replicas ?? 1,
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name } },
              spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1.0', ports: [{ containerPort: 8080 }], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
            },
          },
        };
        break;
      case 'ServiceAccount':
        object = { apiVersion: 'v1', kind, metadata };
        break;
    }
    const dir = namespace ? `${options.dir}/${namespace}` : options.dir;
    files.push({ file: `${dir}/${name}.yaml`, kind, name, namespace, object });
  }
  return files;
}

/** path → YAML text, for TestRepo.commit or for writing a directory. */
export function asFiles(set: readonly SetFile[]): Record<string, string> {
  return Object.fromEntries(set.map((f) => [f.file, yaml.dump(f.object, { noRefs: true })]));
}
