import { z } from 'zod';
import { bool, dnsLabel } from './fields.js';

/** `1.36`, `v1.36.3`, `1.36.3-gke.100`: what `helm template --kube-version` accepts. */
const KUBE_VERSION = /^v?\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.+-]+)?$/;

/** `apps/v1`, `v1`, `monitoring.coreos.com/v1/ServiceMonitor`: entries of `.Capabilities.APIVersions`. */
const API_VERSION = /^([a-z0-9.-]+\/)?v[0-9a-z]+(\/[A-Za-z0-9]+)?$/;

/**
 * One chart repository a target's charts may take dependencies from. Dependencies are fetched
 * only from repositories listed here, never from a URL a repository's Chart.yaml alone names.
 * Credentials go with requests to this URL's host only.
 */
export const helmRepositorySchema = z
  .strictObject({
    /** `https://charts.example.com/stable` (an index.yaml is under it) or `oci://registry.example.com/charts`. */
    url: z.url({ protocol: /^(https?|oci)$/, error: 'expected an http(s):// or oci:// URL' }).transform((u) => u.replace(/\/+$/, '')),
    /** Basic authentication, with `password`. */
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** Bearer token, instead of `username`/`password`. */
    token: z.string().min(1).optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.username === undefined) !== (r.password === undefined)) ctx.addIssue({ code: 'custom', message: 'username and password go together', path: [r.username === undefined ? 'username' : 'password'] });
    if (r.token !== undefined && r.username !== undefined) ctx.addIssue({ code: 'custom', message: 'either token or username/password, not both', path: ['token'] });
  });

export type HelmRepositoryConfig = z.infer<typeof helmRepositorySchema>;

/**
 * `targets[].helm`: how a chart at the target's path is rendered (`helm template`). After
 * parsing, `valuesFiles` are relative to the repository root (see targetSchema).
 */
export const helmSchema = z.strictObject({
  /** Helm release name (`.Release.Name`); the target name when absent. */
  releaseName: dnsLabel(53, 'a release name').optional(),
  /** Values files relative to `path`, applied in order (later files win). */
  valuesFiles: z.array(z.string().min(1)).default([]),
  /** Values written in the configuration; they win over every values file (as Argo CD's valuesObject). */
  values: z.record(z.string(), z.unknown()).optional(),
  /** Render the chart's `crds/` folder too (`--include-crds`); CRDs are applied before the objects that use them. */
  includeCrds: bool().default(true),
  /** `.Capabilities.KubeVersion`; the target cluster's own version (from `/version`) when absent. */
  kubeVersion: z.string().regex(KUBE_VERSION, 'expected a Kubernetes version such as 1.36.3').optional(),
  /** Added to `.Capabilities.APIVersions`, which otherwise lists what the target cluster serves. */
  apiVersions: z.array(z.string().regex(API_VERSION, 'expected group/version or group/version/Kind')).default([]),
  /** Let kustomize inflate the `helmCharts:` of a kustomization (`kubectl kustomize --enable-helm`), with charts vendored in its chartHome or from `repositories`. */
  kustomizeHelmCharts: bool().default(false),
  /** Chart repositories dependencies may come from (`Chart.lock`/`Chart.yaml` dependencies that are not vendored in `charts/`). */
  repositories: z.array(helmRepositorySchema).default([]),
});

export type HelmConfig = z.infer<typeof helmSchema>;
